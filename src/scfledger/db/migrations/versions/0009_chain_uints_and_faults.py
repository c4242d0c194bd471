"""Projections hold any integer the chain emits, and events they could not take are faults.

Amounts widen to uint256 (NUMERIC(78, 0)); the uint64 times (issue and due dates,
request expiry, proposal deadlines) leave BIGINT, which ends at 2^63 - 1, for
NUMERIC(20, 0); member names lose their 256-character limit. SQLite keeps these as decimal
text zero-padded to the type's width (78, 20), so text order is number order.
`indexer_faults` records the events the indexer could not project.

Revision ID: 0009_chain_uints_and_faults
Revises: 0008_transfer_source_index
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_chain_uints_and_faults"
down_revision: str | None = "0008_transfer_source_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNTS = {
    "receivables": ("face_amount", "settled_value"),
    "pieces": ("value",),
    "piece_transfers": ("value",),
    "financing_requests": ("amount",),
    "financing_history": ("amount",),
    "settlements": ("amount", "lien_amount"),
}
DATES = {
    "receivables": ("issue_date", "due_date"),
    "financing_requests": ("expires_at",),
    "proposals": ("deadline",),
}
AMOUNT_DIGITS, DATE_DIGITS = 78, 20  # digits of 2^256 - 1 and of 2^64 - 1
OLD_AMOUNT = sa.Numeric(39, 0).with_variant(sa.String(40), "sqlite")
NEW_AMOUNT = sa.Numeric(AMOUNT_DIGITS, 0).with_variant(sa.String(AMOUNT_DIGITS), "sqlite")
NEW_DATE = sa.Numeric(DATE_DIGITS, 0).with_variant(sa.String(DATE_DIGITS), "sqlite")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _columns() -> dict[str, list[tuple[str, int]]]:
    """Columns to convert by table, each with its digits."""
    tables: dict[str, list[tuple[str, int]]] = {}
    for table, columns in AMOUNTS.items():
        tables.setdefault(table, []).extend((c, AMOUNT_DIGITS) for c in columns)
    for table, columns in DATES.items():
        tables.setdefault(table, []).extend((c, DATE_DIGITS) for c in columns)
    return tables


def upgrade() -> None:
    for table, columns in _columns().items():
        with op.batch_alter_table(table) as batch:
            for column, digits in columns:
                amount = digits == AMOUNT_DIGITS
                batch.alter_column(
                    column,
                    existing_type=OLD_AMOUNT if amount else sa.BigInteger(),
                    type_=NEW_AMOUNT if amount else NEW_DATE,
                    postgresql_using=f"{column}::numeric({digits}, 0)",
                )
        if _sqlite():  # text of any length (amounts) or integers (dates) to padded text
            for column, digits in columns:
                value = sa.column(column, sa.String())
                padded = sa.func.substr(sa.literal("0" * digits).concat(value), -digits)
                op.execute(sa.table(table, value).update().values({column: padded}))
    with op.batch_alter_table("members") as batch:
        batch.alter_column("name", existing_type=sa.String(256), type_=sa.Text())

    op.create_table(
        "indexer_faults",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indexer_faults")),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_indexer_faults_tx_log"),
    )
    op.create_index("ix_indexer_faults_block_number", "indexer_faults", ["block_number"])


def downgrade() -> None:
    """Back to 0008's types; values beyond them (2^63 dates, 2^128 amounts) do not fit."""
    op.drop_index("ix_indexer_faults_block_number", table_name="indexer_faults")
    op.drop_table("indexer_faults")
    with op.batch_alter_table("members") as batch:
        batch.alter_column("name", existing_type=sa.Text(), type_=sa.String(256))
    for table, columns in _columns().items():
        if _sqlite():
            for column, _digits in columns:
                value = sa.column(column, sa.String())
                trimmed = sa.func.ltrim(value, "0")
                unpadded = sa.case((trimmed == "", "0"), else_=trimmed)
                op.execute(sa.table(table, value).update().values({column: unpadded}))
        with op.batch_alter_table(table) as batch:
            for column, digits in columns:
                amount = digits == AMOUNT_DIGITS
                batch.alter_column(
                    column,
                    existing_type=NEW_AMOUNT if amount else NEW_DATE,
                    type_=OLD_AMOUNT if amount else sa.BigInteger(),
                    postgresql_using=f"{column}::{'numeric(39, 0)' if amount else 'bigint'}",
                )
