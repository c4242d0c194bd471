"""The projection journal: how to undo each recent block's writes, for reorgs.

`projection_journal` holds, per keyed projection row and block, the row's values before
the block (or that the block created it); `indexer_checkpoint.journal_floor` is the block
above which the journal can undo everything (an existing checkpoint: itself, nothing is
journaled yet).

Revision ID: 0012_projection_journal
Revises: 0011_identity_salts
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_projection_journal"
down_revision: str | None = "0011_identity_salts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projection_journal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projection_journal")),
    )
    op.create_index(
        op.f("ix_projection_journal_block_number"), "projection_journal", ["block_number"]
    )
    op.add_column("indexer_checkpoint", sa.Column("journal_floor", sa.BigInteger(), nullable=True))
    op.execute("UPDATE indexer_checkpoint SET journal_floor = block_number")
    with op.batch_alter_table("indexer_checkpoint") as batch:
        batch.alter_column("journal_floor", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("indexer_checkpoint") as batch:
        batch.drop_column("journal_floor")
    op.drop_index(op.f("ix_projection_journal_block_number"), table_name="projection_journal")
    op.drop_table("projection_journal")
