"""Risk policies: each financier's rules for deciding financing requests.

Revision ID: 0003_risk_policies
Revises: 0002_read_model
Create Date: 2026-11-25 01:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_risk_policies"
down_revision: str | None = "0002_read_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_policies",
        sa.Column("financier", sa.String(length=42), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("financier", name=op.f("pk_risk_policies")),
    )


def downgrade() -> None:
    op.drop_table("risk_policies")
