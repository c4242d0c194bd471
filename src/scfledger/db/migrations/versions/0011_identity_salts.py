"""Identity salts: each member's salt for its salted legal-id and KYC anchors.

Revision ID: 0011_identity_salts
Revises: 0010_consent_read_model
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_identity_salts"
down_revision: str | None = "0010_consent_read_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_salts",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_identity_salts")),
    )


def downgrade() -> None:
    op.drop_table("identity_salts")
