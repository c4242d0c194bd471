"""`scf dev`: helpers for a demo deployment started by `scf up`, refused elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import pyotp
import typer
from rich.console import Console

from scfledger.cli.gateway import DEMO_DEPLOYMENT, PEOPLE_FILE
from scfledger.config import load_settings
from scfledger.exceptions import ScfError
from scfledger.people.totp import STEP

console = Console(stderr=True)
dev_app = typer.Typer(help="Helpers for the demo deployment of `scf up` (refused elsewhere).")


@dev_app.command("totp")
def totp(
    participant: Annotated[str, typer.Argument(help="The demo participant, e.g. core.")],
    username: Annotated[str, typer.Argument(help="The demo person, e.g. checker.")],
    directory: Annotated[
        Path, typer.Option("--dir", help="The directory `scf up` wrote (its --dir).")
    ] = Path("var/up"),
) -> None:
    """Print a demo person's current second-factor code (what its authenticator app would
    show), from the people file `scf up` wrote. Refused in production, and for any file
    that is not a demo's."""
    try:
        production = load_settings().environment == "production"
    except ScfError as exc:
        _refuse(str(exc), 2)
    if production:
        _refuse("scf dev totp is refused in production (SCF_ENVIRONMENT=production)", 2)
    path = directory / PEOPLE_FILE
    try:
        document: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        _refuse(f"no demo people at {path}: start the demo with `scf up --dir {directory}`", 2)
    if not isinstance(document, dict) or document.get("deployment") != DEMO_DEPLOYMENT:
        _refuse(f"{path} is not the people file of a demo started by `scf up`", 2)
    person = document.get("people", {}).get(participant, {}).get(username)
    if person is None:
        _refuse(f"the demo has no person {username!r} at {participant!r}", 1)
    if not person.get("totpSecret"):
        _refuse(f"{username} of {participant} signs in without a second factor", 1)
    # A code signs in once: one already used waits for the next step (STEP seconds).
    typer.echo(pyotp.TOTP(person["totpSecret"], interval=STEP).now())


def _refuse(message: str, status: int) -> NoReturn:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(status)
