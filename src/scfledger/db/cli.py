"""`scf db`: apply and inspect the gateway database's migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from scfledger.config import load_settings
from scfledger.db import migrate
from scfledger.db.session import create_db_engine

db_app = typer.Typer(help="The gateway database (SCF_DATABASE_URL).", no_args_is_help=True)
console = Console()


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database to the latest schema (or to REVISION)."""
    url = load_settings().database_url
    migrate.upgrade(url, revision)
    engine = create_db_engine(url, pool_size=1)
    try:
        console.print(f"database at revision {migrate.current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("current")
def current() -> None:
    """Print the database's revision and the latest one."""
    engine = create_db_engine(load_settings().database_url, pool_size=1)
    try:
        console.print(f"current {migrate.current_revision(engine)}, head {migrate.head_revision()}")
    finally:
        engine.dispose()
