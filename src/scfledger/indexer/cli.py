"""`scf index` and `scf reconcile`: run the indexer, compare the read model with the chain."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine
from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware

from scfledger.chain.deploy import contract_at
from scfledger.chain.deployment import load_manifest
from scfledger.db.migrate import require_current
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import DatabaseNotMigrated
from scfledger.indexer import faults
from scfledger.indexer.indexer import DEFAULT_MAX_LAG, Indexer, config_from_manifest
from scfledger.indexer.reconcile import reconcile

console = Console()

MAX_LISTED = 100  # faults listed one by one

Rpc = Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of a node.")]
Manifest = Annotated[Path, typer.Option("--manifest", help="Deployment manifest (scf deploy).")]
Database = Annotated[
    str, typer.Option("--db", envvar="SCF_DATABASE_URL", help="SQLAlchemy URL of the read model.")
]


def _migrated_engine(db: str) -> Engine:
    """The read model's engine; refuses (exit 2) a database not at the latest migration."""
    engine = create_db_engine(db)
    try:
        require_current(engine)
    except DatabaseNotMigrated as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    return engine


def _web3(rpc: str) -> Web3:
    w3 = Web3(HTTPProvider(rpc, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def index_command(
    rpc: Rpc,
    manifest: Manifest,
    db: Database = "sqlite:///var/gateway.sqlite3",
    confirmations: Annotated[
        int | None,
        typer.Option(min=0, help="Blocks to wait (default: as the chain's engine needs)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Blocks per first batch.")] = 2_000,
    max_batch_size: Annotated[int, typer.Option(min=1, help="Most blocks per batch.")] = 20_000,
    once: Annotated[bool, typer.Option(help="Catch up to the head, then exit.")] = False,
) -> None:
    """Follow the chain and project the deployment's events into the read model."""
    engine = _migrated_engine(db)
    config = config_from_manifest(
        load_manifest(manifest),
        confirmations=confirmations,
        batch_size=batch_size,
        max_batch_size=max(max_batch_size, batch_size),
    )
    indexer = Indexer(_web3(rpc), session_factory(engine), config)
    if once:
        indexer.catch_up()
    else:
        stopping = False

        def stop(_signum: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        indexer.run(lambda: stopping)
    checkpoint = indexer.checkpoint()
    console.print(
        f"indexed to block {checkpoint[0] if checkpoint else '-'}: {indexer.stats.events} events, "
        f"{indexer.stats.skipped_logs} skipped logs, {indexer.stats.reorgs} reorgs"
    )


def reconcile_command(
    rpc: Rpc,
    manifest: Manifest,
    db: Database = "sqlite:///var/gateway.sqlite3",
    confirmations: Annotated[
        int | None,
        typer.Option(min=0, help="Blocks the indexer waits (as given to `scf index`)."),
    ] = None,
    max_lag: Annotated[
        int, typer.Option(min=0, help="Blocks the index may be behind the confirmed head.")
    ] = DEFAULT_MAX_LAG,
) -> None:
    """Check the read model: where the index is, what it could not project, and every
    projected member, proposal, receivable, piece, request and set-off round against the
    contracts.

    Exits 1 when the index is more than --max-lag blocks behind the confirmed head (head -
    confirmations), when an event could not be projected (a fault), or when anything
    differs from the chain at the indexed block."""
    engine = _migrated_engine(db)
    w3 = _web3(rpc)
    deployment = load_manifest(manifest)
    contracts = deployment["contracts"]
    sessions = session_factory(engine)
    indexer = Indexer(w3, sessions, config_from_manifest(deployment, confirmations=confirmations))
    checkpoint, lag, confirmed = indexer.checkpoint(), indexer.lag(), indexer.target_block()
    failed = lag > max_lag
    console.print(
        f"index at block {checkpoint[0] if checkpoint else '-'}, confirmed head {confirmed} "
        f"({indexer.confirmations} confirmations): {lag} blocks behind"
    )
    if failed:
        console.print(
            f"[red]behind[/red] the index is {lag} blocks behind the confirmed head, more than "
            f"--max-lag {max_lag}: is the indexer running?"
        )
    with sessions() as session:
        fault_rows, fault_count = faults.listing(session, MAX_LISTED), faults.count(session)
        for f in fault_rows:
            console.print(
                f"[red]fault[/red] {f.contract}.{f.name} at block {f.block_number}, "
                f"tx {f.tx_hash}, log {f.log_index} not projected: {f.error}"
            )
        if fault_count > len(fault_rows):
            console.print(f"[red]fault[/red] ... and {fault_count - len(fault_rows)} more")
        failed = failed or fault_count > 0
        if checkpoint is None:
            console.print("[red]nothing indexed yet[/red]")
            raise typer.Exit(1)
        diffs = reconcile(
            session,
            registry=contract_at(
                w3, "ConsortiumRegistry", contracts["ConsortiumRegistry"]["address"]
            ),
            token=contract_at(w3, "ReceivableToken", contracts["ReceivableToken"]["address"]),
            financing=contract_at(w3, "Financing", contracts["Financing"]["address"]),
            at_block=checkpoint[0],
            deposit_token=(
                contract_at(w3, "DepositToken", contracts["DepositToken"]["address"])
                if "DepositToken" in contracts
                else None
            ),
            set_off=(
                contract_at(w3, "SetOff", contracts["SetOff"]["address"])
                if "SetOff" in contracts
                else None
            ),
        )
    for diff in diffs:
        console.print(f"[red]differs[/red] {diff}")
    if diffs:
        failed = True
    else:
        console.print(f"read model matches the chain at block {checkpoint[0]}")
    if failed:
        raise typer.Exit(1)
