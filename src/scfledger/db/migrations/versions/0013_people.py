"""People: users of each participant, their browser sessions, and API keys that belong to
a user or a service account, with scopes, an expiry and a last-used time.

Existing keys are given to a service account `service` of their participant (roles admin
and maker, scopes read and write): what they could do before, they can do after.

Revision ID: 0013_people
Revises: 0012_projection_journal
Create Date: 2026-11-26 04:00:00.000000
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013_people"
down_revision: str | None = "0012_projection_journal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("totp_secret", sa.String(length=256), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("participant", "username", name="uq_users_participant_username"),
    )
    op.create_index(op.f("ix_users_participant"), "users", ["participant"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("user_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("name", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("scopes", sa.JSON(), nullable=False, server_default='["read", "write"]')
        )
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f("fk_api_keys_user_id_users"), "users", ["user_id"], ["id"])
        batch.create_index(op.f("ix_api_keys_user_id"), ["user_id"])
    _give_keys_to_service_accounts()
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("name", server_default=None)
        batch.alter_column("scopes", server_default=None)


def _give_keys_to_service_accounts() -> None:
    connection = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.String),
        sa.column("participant", sa.String),
        sa.column("username", sa.String),
        sa.column("kind", sa.String),
        sa.column("display_name", sa.String),
        sa.column("roles", sa.JSON),
        sa.column("must_change_password", sa.Boolean),
        sa.column("failed_logins", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    keys = sa.table(
        "api_keys", sa.column("participant", sa.String), sa.column("user_id", sa.String)
    )
    participants = connection.execute(sa.select(keys.c.participant).distinct()).scalars().all()
    for participant in participants:
        user_id = str(uuid.uuid4())
        connection.execute(
            users.insert().values(
                id=user_id,
                participant=participant,
                username="service",
                kind="service",
                display_name="Service account",
                roles=["admin", "maker"],
                must_change_password=False,
                failed_logins=0,
                created_at=datetime.now(UTC),
            )
        )
        connection.execute(
            keys.update().where(keys.c.participant == participant).values(user_id=user_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index(op.f("ix_api_keys_user_id"))
        batch.drop_constraint(op.f("fk_api_keys_user_id_users"), type_="foreignkey")
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
        batch.drop_column("name")
        batch.drop_column("user_id")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_index(op.f("ix_users_participant"), table_name="users")
    op.drop_table("users")
