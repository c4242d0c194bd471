"""An index on the piece a split took value from: a piece's transfers (`GET
/v1/receivables/{id}/transfers`) are its whole moves and the splits out of it.

Revision ID: 0008_transfer_source_index
Revises: 0007_read_indexes
Create Date: 2026-11-25 04:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_transfer_source_index"
down_revision: str | None = "0007_read_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_piece_transfers_from_token_id", "piece_transfers", ["from_token_id"])


def downgrade() -> None:
    op.drop_index("ix_piece_transfers_from_token_id", table_name="piece_transfers")
