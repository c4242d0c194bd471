"""The gateway database: SQLAlchemy 2 models, engines and sessions, Alembic migrations."""
