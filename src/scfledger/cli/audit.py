"""`scf audit verify` and `scf audit export`: check the audit trail's hash chain, write it
out as CSV or JSON Lines (people/audit.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from scfledger.config import load_settings
from scfledger.db.migrate import require_current
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import ScfError
from scfledger.people import audit

audit_app = typer.Typer(help="The audit trail of authenticated actions.", no_args_is_help=True)
console = Console(stderr=True)


class Format(StrEnum):
    csv = "csv"
    json = "json"


@contextmanager
def _database() -> Iterator[Session]:
    """A session on SCF_DATABASE_URL, refused (exit 2) when it is not migrated."""
    engine = create_db_engine(load_settings().database_url, pool_size=1)
    try:
        require_current(engine)
        with session_factory(engine)() as session:
            yield session
    except ScfError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    record_id, _, digest = value.partition(":")
    if not record_id.isascii() or not record_id.isdigit() or len(digest) != 64:
        raise typer.BadParameter("give ID:HASH, as `scf audit verify` printed them")
    return int(record_id), digest.lower()


@audit_app.command("verify")
def verify(
    anchor: Annotated[
        str | None,
        typer.Option(help="ID:HASH of a head published earlier: the chain must still hold it."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(help="Verify this export of the whole trail instead of the database."),
    ] = None,
    format: Annotated[Format, typer.Option(help="The export's format (with --file).")] = Format.csv,
) -> None:
    """Recompute every record's hash and link: exit 0 with the count and the head (publish
    it elsewhere to anchor it), or 1 naming the first broken record and why."""
    anchored = _anchor(anchor)
    if file is not None:
        with file.open(encoding="utf-8", newline="") as lines:
            rows = audit.parse_export(format.value, lines)
            result = audit.walk(rows, head=None, anchor=anchored)
    else:
        with _database() as session:
            result = audit.verify(session, anchor=anchored)
    if not result.intact:
        console.print(
            f"[red]audit trail broken at record {result.broken_id}:[/red] {result.reason} "
            f"({result.count} records intact before it)"
        )
        raise typer.Exit(1)
    typer.echo(
        f"audit trail intact: {result.count} records; head {result.head_id}:{result.head_hash}"
    )


@audit_app.command("export")
def export(
    format: Annotated[Format, typer.Option(help="csv (a header line) or json (JSON Lines).")],
    out: Annotated[Path | None, typer.Option(help="Write here (mode 0600), not to stdout.")] = None,
    participant: Annotated[str | None, typer.Option(help="Only this institution's.")] = None,
    user: Annotated[str | None, typer.Option(help="Only this username's.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action: 'POST /v1/...'.")] = None,
    since: Annotated[
        datetime | None, typer.Option("--from", help="From this time (UTC unless given).")
    ] = None,
    until: Annotated[datetime | None, typer.Option("--to", help="Up to this time.")] = None,
) -> None:
    """Write the records (all, or those the options take), oldest first, hashes included."""
    filters = audit.AuditFilter(
        participant=participant, username=user, action=action, since=since, until=until
    )
    with _database() as session:
        lines = audit.export(session, format.value, filters)
        if out is None:
            sys.stdout.writelines(lines)
            return
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as target:
            target.writelines(lines)
    console.print(f"audit records written to {out}")
