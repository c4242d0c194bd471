"""Set-off rounds in the read model, and what rounds cleared of each receivable.

`receivables.netted_value`: the value set-off rounds cleared of the slot (invariant 1:
live + settled + netted == face). `setoff_rounds`, `setoff_items` and `setoff_parties`
project SetOff.sol's rounds, their items and each party's answer.

Revision ID: 0020_setoff_rounds
Revises: 0019_erp_batches
Create Date: 2026-11-26 13:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_setoff_rounds"
down_revision: str | None = "0019_erp_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNT = sa.Numeric(78, 0).with_variant(sa.String(78), "sqlite")
DATE = sa.Numeric(20, 0).with_variant(sa.String(20), "sqlite")
ZERO = "0" * 78  # SQLite keeps amounts as zero-padded text (0009_chain_uints_and_faults)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("receivables") as batch:
        batch.add_column(
            sa.Column(
                "netted_value",
                AMOUNT,
                nullable=False,
                server_default=sa.text(f"'{ZERO}'" if sqlite else "0"),
            )
        )
    op.create_table(
        "setoff_rounds",
        sa.Column("round_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("proposer", sa.String(42), nullable=False),
        sa.Column("deadline", DATE, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("total", AMOUNT, nullable=False),
        sa.Column("party_count", sa.Integer(), nullable=False),
        sa.Column("consents", sa.Integer(), nullable=False),
        sa.Column("refused_by", sa.String(42), nullable=True),
        sa.Column("reason", sa.String(66), nullable=True),
        sa.Column("executor", sa.String(42), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_setoff_rounds_proposer", "setoff_rounds", ["proposer"])
    op.create_index("ix_setoff_rounds_status", "setoff_rounds", ["status"])
    op.create_table(
        "setoff_items",
        sa.Column("round_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("token_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(42), nullable=False),
        sa.Column("debtor", sa.String(42), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("remaining", AMOUNT, nullable=True),
    )
    op.create_index("ix_setoff_items_token_id", "setoff_items", ["token_id"])
    op.create_table(
        "setoff_parties",
        sa.Column("round_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("party", sa.String(42), primary_key=True),
        sa.Column("answer", sa.String(16), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_setoff_parties_party_round", "setoff_parties", ["party", "round_id"])


def downgrade() -> None:
    op.drop_index("ix_setoff_parties_party_round", table_name="setoff_parties")
    op.drop_table("setoff_parties")
    op.drop_index("ix_setoff_items_token_id", table_name="setoff_items")
    op.drop_table("setoff_items")
    op.drop_index("ix_setoff_rounds_status", table_name="setoff_rounds")
    op.drop_index("ix_setoff_rounds_proposer", table_name="setoff_rounds")
    op.drop_table("setoff_rounds")
    with op.batch_alter_table("receivables") as batch:
        batch.drop_column("netted_value")
