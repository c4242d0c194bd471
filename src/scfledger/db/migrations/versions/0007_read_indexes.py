"""Indexes for the API's reads: each participant's pieces, transfers and liens by token id.

The visibility of a non-auditor's listing is answered reason by reason (what it holds, what
it sent, what it is a party to, what it finances), each the first page in token id order
from an index on the participant's address: (holder, token_id) on pieces and
(sender, token_id) on piece_transfers, which replaces the index on sender alone; and
lien_holder on settlements (the settlements paid to a pledgee).

Revision ID: 0007_read_indexes
Revises: 0006_proposals
Create Date: 2026-11-25 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_read_indexes"
down_revision: str | None = "0006_proposals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_pieces_holder_token_id", "pieces", ["holder", "token_id"])
    op.create_index("ix_piece_transfers_sender_token_id", "piece_transfers", ["sender", "token_id"])
    op.drop_index("ix_piece_transfers_sender", table_name="piece_transfers")
    op.create_index("ix_settlements_lien_holder", "settlements", ["lien_holder"])


def downgrade() -> None:
    op.drop_index("ix_settlements_lien_holder", table_name="settlements")
    op.create_index("ix_piece_transfers_sender", "piece_transfers", ["sender"])
    op.drop_index("ix_piece_transfers_sender_token_id", table_name="piece_transfers")
    op.drop_index("ix_pieces_holder_token_id", table_name="pieces")
