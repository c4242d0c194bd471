"""The events feed's visibility table: who may see which feed row, kept by the indexer.

Revision ID: 0021_feed_visibility
Revises: 0020_setoff_rounds
Create Date: 2026-11-26 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_feed_visibility"
down_revision: str | None = "0020_setoff_rounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _event_id() -> sa.Column[int]:
    return sa.Column(
        "event_id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("chain_events.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "feed_visibility",
        sa.Column("address", sa.String(42), primary_key=True),
        _event_id(),
    )
    op.create_index("ix_feed_visibility_event_id", "feed_visibility", ["event_id"])
    op.create_table(
        "feed_subjects",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("subject_id", sa.BigInteger(), primary_key=True),
        _event_id(),
    )
    op.create_index("ix_feed_subjects_event_id", "feed_subjects", ["event_id"])
    # A feed indexed before this revision is filled from the rule by the indexer's next
    # batch, or when it finds itself caught up (services.feed_visibility.fill_if_behind).


def downgrade() -> None:
    op.drop_index("ix_feed_subjects_event_id", table_name="feed_subjects")
    op.drop_table("feed_subjects")
    op.drop_index("ix_feed_visibility_event_id", table_name="feed_visibility")
    op.drop_table("feed_visibility")
