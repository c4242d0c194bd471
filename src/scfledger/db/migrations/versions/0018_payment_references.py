"""Payment references in clear for their payer and payees; the time of each indexed block.

Revision ID: 0018_payment_references
Revises: 0017_admin_draft_secrets
Create Date: 2026-11-26 07:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_payment_references"
down_revision: str | None = "0017_admin_draft_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_references",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("ref_hash", sa.String(66), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("participant", sa.String(64), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("made_by", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("operation_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "made_by", "idempotency_key", "participant", name="uq_payment_references_op_reader"
        ),
    )
    op.create_index(
        "ix_payment_references_reader_hash", "payment_references", ["participant", "ref_hash"]
    )
    op.create_index("ix_payment_references_operation_id", "payment_references", ["operation_id"])
    with op.batch_alter_table("indexed_blocks") as batch:
        batch.add_column(sa.Column("timestamp", sa.BigInteger(), nullable=True))
        batch.create_index("ix_indexed_blocks_timestamp", ["timestamp"])


def downgrade() -> None:
    with op.batch_alter_table("indexed_blocks") as batch:
        batch.drop_index("ix_indexed_blocks_timestamp")
        batch.drop_column("timestamp")
    op.drop_index("ix_payment_references_operation_id", table_name="payment_references")
    op.drop_index("ix_payment_references_reader_hash", table_name="payment_references")
    op.drop_table("payment_references")
