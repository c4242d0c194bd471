"""Alembic environment: the URL from the Alembic config, else from Settings."""

from __future__ import annotations

from alembic import context

from scfledger.config import Settings
from scfledger.db import (  # noqa: F401 - registers tables
    apikeys,
    audit,
    batches,
    drafts,
    gateway_tables,
    payment_refs,
    people,
    projections,
    sso,
)
from scfledger.db.models import Base
from scfledger.db.session import create_db_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url
engine = create_db_engine(url, pool_size=1)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
engine.dispose()
