"""`scf dev`: helpers for a demo deployment started by `scf up`, refused elsewhere."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import pyotp
import typer
from rich.console import Console

from scfledger.chain.clock import block_time, iso8601
from scfledger.chain.node import connect
from scfledger.cli.gateway import CHAIN_FILE, DEMO_DEPLOYMENT, PEOPLE_FILE
from scfledger.config import load_settings
from scfledger.devchain.local import ANVIL, CLIQUE, travel_to
from scfledger.exceptions import ChainError, ScfError
from scfledger.people.totp import STEP

console = Console(stderr=True)
dev_app = typer.Typer(help="Helpers for the demo deployment of `scf up` (refused elsewhere).")

Directory = Annotated[Path, typer.Option("--dir", help="The directory `scf up` wrote (its --dir).")]
# A step forward: a whole number of days, hours, minutes or seconds.
DURATION = re.compile(r"^([1-9][0-9]{0,8})([dhms])$")
UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


@dev_app.command("totp")
def totp(
    participant: Annotated[str, typer.Argument(help="The demo participant, e.g. core.")],
    username: Annotated[str, typer.Argument(help="The demo person, e.g. checker.")],
    directory: Directory = Path("var/up"),
) -> None:
    """Print a demo person's current second-factor code (what its authenticator app would
    show), from the people file `scf up` wrote. Refused in production, and for any file
    that is not a demo's."""
    _refuse_in_production("totp")
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


@dev_app.command("advance-time")
def advance_time(
    duration: Annotated[
        str | None, typer.Argument(help="How far forward: 90d, 36h, 30m or 45s.")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Where to: a date (2027-01-31: its midnight UTC) or a time with its offset"
            " (2027-01-31T09:00:00+08:00).",
        ),
    ] = None,
    directory: Directory = Path("var/up"),
) -> None:
    """Move the clock of the dev chain `scf up` started forward and mine a block at the new
    time, so due dates and deadlines arrive; prints the new chain time. Only the dev chain
    (anvil) can travel: refused on a Clique network, when no `scf up` is running, and for
    a time before the chain's (time never goes backwards)."""
    _refuse_in_production("advance-time")
    if (duration is None) == (to is None):
        _refuse("give how far (90d, 36h, 30m, 45s) or --to DATE, one of them", 2)
    rpc = _dev_chain_url(directory)
    w3 = connect(rpc, timeout=5, retries=1)
    try:
        client = str(w3.client_version)
        before = block_time(w3)
    except ChainError:
        _refuse(
            f"nothing answers at {rpc}: the `scf up` that wrote {directory} is not running"
            f" (start it with `scf up --dir {directory}`)",
            2,
        )
    if not client.lower().startswith(ANVIL):
        _refuse(f"the node at {rpc} is {client}, not the dev chain (anvil): it cannot travel", 2)
    target = _target(before.timestamp, duration, to)
    if target <= before.timestamp:
        _refuse(
            f"the chain's time is already {iso8601(before.timestamp)}: {iso8601(target)} is"
            " not ahead of it, and time never goes backwards",
            1,
        )
    after = travel_to(w3, target)
    typer.echo(
        f"chain time {iso8601(after.timestamp)} ({after.timestamp}), block {after.number}:"
        f" {_span(after.timestamp - before.timestamp)} later"
    )


def _dev_chain_url(directory: Path) -> str:
    """The node URL of the dev chain `scf up --dir directory` started; refuses any other."""
    path = directory / CHAIN_FILE
    try:
        state: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        _refuse(
            f"no chain of `scf up` at {path}: nothing is running (start it with"
            f" `scf up --dir {directory}`)",
            2,
        )
    if not isinstance(state, dict) or state.get("deployment") != DEMO_DEPLOYMENT:
        _refuse(f"{path} is not the chain file of a demo started by `scf up`", 2)
    if state.get("engine") == CLIQUE:
        _refuse(
            f"the chain of {directory} is a go-ethereum Clique network: its sealers stamp"
            " each block with their own clocks and no call sets a block's time, so it cannot"
            " travel in time (the dev chain can: `scf up` without --chain consortium)",
            2,
        )
    if state.get("engine") != ANVIL or not isinstance(state.get("rpc"), str):
        _refuse(f"{path} names no dev chain (anvil) to move", 2)
    return str(state["rpc"])


def _target(now: int, duration: str | None, to: str | None) -> int:
    """The Unix time to move to: `duration` after `now`, or the moment `to` names."""
    if duration is not None:
        match = DURATION.match(duration)
        if match is None:
            _refuse(f"{duration!r} is no duration: a whole number and d, h, m or s (90d)", 2)
        return now + int(match[1]) * UNIT_SECONDS[match[2]]
    assert to is not None
    try:
        moment = datetime.fromisoformat(to)
    except ValueError:
        _refuse(f"--to {to!r} is no date (2027-01-31) or ISO 8601 time", 2)
    if moment.tzinfo is None and len(to) == len("2027-01-31"):
        moment = moment.replace(tzinfo=UTC)  # a date: its midnight in UTC
    if moment.tzinfo is None:
        _refuse(f"--to {to!r} needs its offset (2027-01-31T09:00:00+08:00, or Z for UTC)", 2)
    return int(moment.timestamp())


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    return " ".join(f"{n}{unit}" for n, unit in parts if n) or "0s"


def _refuse_in_production(command: str) -> None:
    try:
        production = load_settings().environment == "production"
    except ScfError as exc:
        _refuse(str(exc), 2)
    if production:
        _refuse(f"scf dev {command} is refused in production (SCF_ENVIRONMENT=production)", 2)


def _refuse(message: str, status: int) -> NoReturn:
    # One line, never wrapped (paths and commands stay whole) nor read as markup.
    console.print(message, style="red", soft_wrap=True, markup=False, highlight=False)
    raise typer.Exit(status)
