"""ERP batches and their lines.

Revision ID: 0019_erp_batches
Revises: 0018_payment_references
Create Date: 2026-11-26 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_erp_batches"
down_revision: str | None = "0018_payment_references"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("participant", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("made_by", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("participant", "idempotency_key", name="uq_batches_participant_key"),
    )
    op.create_table(
        "batch_lines",
        sa.Column(
            "batch_id",
            _ID,
            sa.ForeignKey("batches.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("line", sa.Integer(), primary_key=True),
        sa.Column("operation_id", sa.String(36), nullable=True),
        sa.Column("draft_id", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.JSON(), nullable=True),
    )
    op.create_index("ix_batch_lines_operation_id", "batch_lines", ["operation_id"])


def downgrade() -> None:
    op.drop_index("ix_batch_lines_operation_id", table_name="batch_lines")
    op.drop_table("batch_lines")
    op.drop_table("batches")
