"""`scf keys`: create, import, list, export and rotate participant keystores."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from scfledger.config import load_settings
from scfledger.exceptions import ScfError
from scfledger.keys.store import KeyStore

keys_app = typer.Typer(
    help="Participant keys: one encrypted keystore per participant in the key directory. "
    "Passphrase from SCF_KEYSTORE_PASSPHRASE or SCF_KEYSTORE_PASSPHRASE_FILE.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

KeyDir = Annotated[
    Path | None, typer.Option("--key-dir", help="Key directory (default: SCF_KEY_DIR or var/keys).")
]


def _store(key_dir: Path | None) -> KeyStore:
    try:
        settings = load_settings()
        if key_dir is not None:
            settings = settings.model_copy(update={"key_dir": key_dir})
        return KeyStore.from_settings(settings)
    except ScfError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def _fail(exc: ScfError) -> typer.Exit:
    errors.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


@keys_app.command("new")
def new(participant: str, key_dir: KeyDir = None) -> None:
    """Create a fresh key for a participant; prints its address."""
    store = _store(key_dir)
    try:
        address = store.new(participant)
    except ScfError as exc:
        raise _fail(exc) from None
    console.print(f"{participant} {address}")


@keys_app.command("import")
def import_key(
    participant: str,
    key_file: Annotated[
        Path | None,
        typer.Option(help="File holding the hex private key (default: read from stdin)."),
    ] = None,
    key_dir: KeyDir = None,
) -> None:
    """Store an existing private key for a participant. The key is read from a file or
    stdin, never from the command line (where shell history and `ps` would keep it)."""
    store = _store(key_dir)
    if key_file is not None:
        secret = key_file.read_text().strip()
    elif sys.stdin.isatty():
        secret = typer.prompt("private key (hex)", hide_input=True).strip()
    else:
        secret = sys.stdin.readline().strip()
    try:
        address = store.import_key(participant, secret)
    except ScfError as exc:
        raise _fail(exc) from None
    finally:
        del secret
    console.print(f"{participant} {address}")


@keys_app.command("list")
def list_keys(key_dir: KeyDir = None) -> None:
    """List participants and their addresses."""
    store = _store(key_dir)
    table = Table(title=f"Keys in {store.directory}")
    table.add_column("participant")
    table.add_column("address")
    for info in store.list():
        table.add_row(info.participant, info.address)
    console.print(table)


@keys_app.command("export-address")
def export_address(participant: str, key_dir: KeyDir = None) -> None:
    """Print a participant's address (the only thing a key ever exports)."""
    store = _store(key_dir)
    try:
        typer.echo(store.address(participant))
    except ScfError as exc:
        raise _fail(exc) from None


@keys_app.command("rotate")
def rotate(participant: str, key_dir: KeyDir = None) -> None:
    """Replace a participant's key with a fresh one; the old keystore moves to retired/.
    The consortium must then register the new address for the member on chain."""
    store = _store(key_dir)
    try:
        old, new_address = store.rotate(participant)
    except ScfError as exc:
        raise _fail(exc) from None
    console.print(f"{participant} {old} -> {new_address}")
