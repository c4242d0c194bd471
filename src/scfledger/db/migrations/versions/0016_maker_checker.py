"""Maker-checker: participants' policies, drafts, checkers' decisions, gateway events.

Revision ID: 0016_maker_checker
Revises: 0015_audit_trail
Create Date: 2026-11-26 04:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_maker_checker"
down_revision: str | None = "0015_audit_trail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AMOUNT = sa.Numeric(78, 0).with_variant(sa.String(78), "sqlite")  # db.projections.Uint256
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "participant_policies",
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("two_checker_amount", AMOUNT, nullable=True),
        sa.Column("draft_ttl_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("participant", name=op.f("pk_participant_policies")),
    )
    op.create_table(
        "drafts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=128), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("maker_id", sa.String(length=36), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("operation_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("participant", "idempotency_key", name="uq_drafts_participant_key"),
    )
    op.create_index("ix_drafts_participant_status", "drafts", ["participant", "status"])
    op.create_table(
        "draft_decisions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("draft_id", _ID, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_draft_decisions_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_decisions")),
        sa.UniqueConstraint("draft_id", "user_id", name="uq_draft_decisions_draft_user"),
    )
    op.create_index(op.f("ix_draft_decisions_draft_id"), "draft_decisions", ["draft_id"])
    op.create_table(
        "gateway_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_events")),
    )
    op.create_index(op.f("ix_gateway_events_participant"), "gateway_events", ["participant"])


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_events_participant"), table_name="gateway_events")
    op.drop_table("gateway_events")
    op.drop_index(op.f("ix_draft_decisions_draft_id"), table_name="draft_decisions")
    op.drop_table("draft_decisions")
    op.drop_index("ix_drafts_participant_status", table_name="drafts")
    op.drop_table("drafts")
    op.drop_table("participant_policies")
