"""Administration drafts: the secrets an approved action made, sealed for its maker once.

Revision ID: 0017_admin_draft_secrets
Revises: 0016_maker_checker
Create Date: 2026-11-26 04:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_admin_draft_secrets"
down_revision: str | None = "0016_maker_checker"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("sealed_secrets", sa.Text(), nullable=True))
        batch.add_column(sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("revealed_at")
        batch.drop_column("sealed_secrets")
