"""The events feed's currencies: the currency of each feed row's amounts, kept by the indexer.

Revision ID: 0022_feed_currencies
Revises: 0021_feed_visibility
Create Date: 2026-11-27 06:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_feed_currencies"
down_revision: str | None = "0021_feed_visibility"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_currencies",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("chain_events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    # A feed indexed before this revision has no rows here: a page looks those rows'
    # currencies up in the read model (services.event_money), as before, until the next
    # rebuild of the feed's derived tables (services.feed_visibility.rebuild) fills them.


def downgrade() -> None:
    op.drop_table("feed_currencies")
