"""`scf up`, `scf serve` and `scf apikeys create`: run the gateway and issue API keys."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from rich.console import Console
from uvicorn.supervisors import Multiprocess
from web3 import HTTPProvider, Web3

from scfledger.api.app import create_app, freeze_startup_heap
from scfledger.api.local_chain import consortium_chain, dev_chain
from scfledger.api.seed import (
    DEMO_MEMBERS,
    GAS_MONEY,
    build_gateway,
    dev_chain_provision,
    seed_demo,
)
from scfledger.chain.client import connect
from scfledger.chain.deployment import load_manifest
from scfledger.chain.faucet import GasFaucet
from scfledger.config import Settings
from scfledger.db.migrate import require_current, upgrade
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.exceptions import ScfError
from scfledger.keys.store import KeyStore
from scfledger.network.clique import CliqueNetwork
from scfledger.services.apikeys import create_api_key
from scfledger.services.participants import Provision

console = Console()
apikeys_app = typer.Typer(help="API keys of participants (shown once, stored hashed).")

Port = Annotated[int, typer.Option(min=1, max=65535, help="Port of the API on 127.0.0.1.")]
WORKER_HEALTHCHECK_SECONDS = 60
Workers = Annotated[
    int, typer.Option(min=1, max=64, help="Server processes, each with its own gateway.")
]


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


class LocalChainKind(StrEnum):
    dev = "dev"
    consortium = "consortium"


def up(
    directory: Annotated[Path, typer.Option("--dir", help="Working directory (recreated).")] = Path(
        "var/up"
    ),
    port: Port = 8000,
    workers: Workers = 1,
    chain: Annotated[
        LocalChainKind,
        typer.Option(
            help="dev: one anvil node. consortium: four go-ethereum Clique sealers "
            "(needs scripts/build-geth.sh), watched for sealing deadlocks."
        ),
    ] = LocalChainKind.dev,
) -> None:
    """Start a local chain, deploy, seed a demo consortium and serve the API on 127.0.0.1.

    The consortium: a core enterprise, suppliers on three tiers, a bank and an auditor, each
    with an encrypted keystore and an API key written to <dir>/credentials.json."""
    # SIGTERM (what systemd and container runtimes send) unwinds like Ctrl-C, so the chain
    # this command started (anvil, or the Clique sealers) is stopped on the way out instead
    # of being left running as an orphan. uvicorn restores this handler and re-raises the
    # signal after its own graceful shutdown.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if (directory / "chain" / "network.json").is_file():
        # Nodes of an earlier consortium run that was killed: stopped before their data goes.
        CliqueNetwork.open(directory / "chain").stop()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700, parents=True)
    passphrase = os.environ.get("SCF_KEYSTORE_PASSPHRASE") or secrets.token_urlsafe(24)
    _write_private(directory / "keystore-passphrase", passphrase + "\n")
    database = f"sqlite:///{directory / 'gateway.sqlite3'}"
    upgrade(database)
    engine = create_db_engine(database)
    # The workers read these like any gateway (SCF_* settings): a throwaway dev set-up.
    os.environ["SCF_DATABASE_URL"] = database
    os.environ["SCF_KEY_DIR"] = str(directory / "keys")
    os.environ["SCF_DOCUMENT_DIR"] = str(directory / "documents")
    if "SCF_METRICS_TOKEN" not in os.environ:
        os.environ["SCF_METRICS_TOKEN"] = secrets.token_urlsafe(24)
    _write_private(directory / "metrics-token", os.environ["SCF_METRICS_TOKEN"] + "\n")
    os.environ["SCF_KEYSTORE_SCRYPT_N"] = str(2**14)
    if "SCF_KEYSTORE_PASSPHRASE" not in os.environ:
        os.environ["SCF_KEYSTORE_PASSPHRASE_FILE"] = str(directory / "keystore-passphrase")
    keys = KeyStore(directory / "keys", passphrase, scrypt_n=2**14)
    local_chain = dev_chain() if chain is LocalChainKind.dev else consortium_chain(directory, keys)
    with local_chain as local:
        console.print(local.description)
        seeded = seed_demo(
            local.w3, keys, engine, DEMO_MEMBERS, provision=local.provision, deployer=local.deployer
        )
        engine.dispose()
        manifest = {
            "name": "up",
            "deploymentBlock": seeded.deployment_block,
            "contracts": {name: {"address": address} for name, address in seeded.contracts.items()},
        }
        (directory / "deployment.json").write_text(json.dumps(manifest, indent=2) + "\n")
        credentials = {
            name: {"address": seeded.addresses[name], "apiKey": seeded.api_keys[name]}
            for name in seeded.addresses
        }
        _write_private(directory / "credentials.json", json.dumps(credentials, indent=2) + "\n")
        _print_next_steps(directory, port, credentials)
        manifest_path = str(directory / "deployment.json")
        _serve(ServeSpec(rpc=local.rpc, manifest=manifest_path, **local.serving), port, workers)


def _print_next_steps(directory: Path, port: int, credentials: dict[str, dict[str, str]]) -> None:
    console.print(f"deployed and seeded; API keys in {directory / 'credentials.json'} (mode 600)")
    console.print(f"/metrics answers the bearer token in {directory / 'metrics-token'}")
    for name, entry in credentials.items():
        console.print(f"  {name:10} {entry['address']}")
    base = f"http://127.0.0.1:{port}"
    console.print(f"API on {base}  (OpenAPI: {base}/docs)  Ctrl-C stops everything. Try:")
    console.print(
        f"  KEY=$(python -c \"import json;print(json.load(open('{directory}/credentials.json'))"
        "['core']['apiKey'])\")\n"
        f'  curl -s -H "Authorization: Bearer $KEY" {base}/v1/members\n'
        f'  curl -s -H "Authorization: Bearer $KEY" -F "file=@invoice.pdf;type=application/pdf"'
        f" {base}/v1/documents   # its sha256 backs the receivable\n"
        f"  curl -s -X POST -H \"Authorization: Bearer $KEY\" -H 'Idempotency-Key: demo-1'"
        f" -H 'Content-Type: application/json' '{base}/v1/receivables?wait=indexed' -d "
        '\'{"creditor": "<supplier1 address>", "face_amount": 100000000,'
        ' "currency": "CNY", "due_date": <unix seconds>,'
        ' "document_hash": "0x<sha256 of the uploaded invoice>"}\''
    )


def serve(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the member's node.")],
    manifest: Annotated[Path, typer.Option("--manifest", help="Deployment manifest.")],
    port: Port = 8000,
    confirmations: Annotated[
        int | None, typer.Option(min=0, help="Indexer confirmations (default: by chain engine).")
    ] = None,
    workers: Workers = 1,
    gas_faucet: Annotated[
        str | None,
        typer.Option(
            help="Keystore account that sends each participant created over the API "
            "--gas-grant wei (on chains where sending costs something)."
        ),
    ] = None,
    gas_grant: Annotated[int, typer.Option(min=1, help="Wei per new participant.")] = GAS_MONEY,
) -> None:
    """Serve the API over an existing network and deployment.

    Database, key directory and keystore passphrase come from SCF_* settings."""
    spec = ServeSpec(
        rpc=rpc,
        manifest=str(manifest),
        confirmations=confirmations,
        gas_faucet=gas_faucet,
        gas_grant=gas_grant,
    )
    _serve(spec, port, workers)


class ServeSpec(BaseModel):
    """What a serving process needs besides its SCF_* settings (passed to workers in the
    environment, as SERVE_SPEC_ENV)."""

    rpc: str
    manifest: str
    confirmations: int | None = None  # None: as the chain's engine needs
    dev_chain: bool = False  # anvil: new participants get gas money by anvil_setBalance
    gas_faucet: str | None = None  # keystore account that sends new participants gas money
    gas_grant: int = GAS_MONEY  # wei per new participant from the faucet
    local_webhooks: bool = False  # webhooks may go to this machine (loopback), nowhere private


SERVE_SPEC_ENV = "SCF_SERVE_SPEC"


def serving_app(spec: ServeSpec, settings: Settings) -> FastAPI:
    """The API with its gateway (pipeline, indexer, webhooks) over the deployment; refuses
    (ScfError) a database not migrated to the current schema or a wrong passphrase."""
    deployment = load_manifest(Path(spec.manifest))
    engine = create_db_engine(settings.database_url)
    require_current(engine)
    keys = KeyStore.from_settings(settings)
    gateway = build_gateway(
        chain_url=spec.rpc,
        engine=engine,
        keys=keys,
        contracts={name: entry["address"] for name, entry in deployment["contracts"].items()},
        start_block=int(deployment["deploymentBlock"]),
        confirmations=spec.confirmations,
        provision=_provision(spec, keys),
    )
    if spec.local_webhooks:
        gateway.settings = gateway.settings.model_copy(update={"webhook_allow_loopback": True})
    return create_app(gateway)


def _provision(spec: ServeSpec, keys: KeyStore) -> Provision | None:
    if spec.dev_chain:
        return dev_chain_provision(Web3(HTTPProvider(spec.rpc)))
    if spec.gas_faucet is not None:
        return GasFaucet(connect(spec.rpc), keys.signer(spec.gas_faucet), spec.gas_grant)
    return None


def worker_app() -> FastAPI:
    """The app of one uvicorn worker process (`--workers N`): its own gateway, sharing the
    database with the others (nonces, webhooks and indexing are safe across processes)."""
    app = serving_app(ServeSpec.model_validate_json(os.environ[SERVE_SPEC_ENV]), Settings())
    freeze_startup_heap()
    return app


def _serve(spec: ServeSpec, port: int, workers: int) -> None:
    """Serves in this process, or in `workers` processes that each build their own app
    (this one is then built only to refuse bad settings before any worker starts)."""
    try:
        app = serving_app(spec, Settings())
    except ScfError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if workers == 1:
        freeze_startup_heap()
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        return
    app.state.gateway.engine.dispose()  # the workers open their own connections
    os.environ[SERVE_SPEC_ENV] = spec.model_dump_json()
    config = uvicorn.Config(
        "scfledger.api.cli:worker_app",
        factory=True,
        workers=workers,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        # uvicorn kills a worker that does not answer its supervisor's ping within this
        # time, and a spawned worker answers only once it has imported the gateway: with its
        # 5 s default a loaded machine restarts workers for ever and never serves.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    # What uvicorn.run does with workers, but on a listener whose connections get TCP_NODELAY.
    try:
        listener = tcp_listener(config.host, config.port)
    except OSError as exc:
        console.print(f"[red]cannot listen on {config.host}:{config.port}: {exc.strerror}[/red]")
        raise typer.Exit(2) from exc
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[listener]).run()


def tcp_listener(host: str, port: int) -> socket.socket:
    """The listening socket handed to worker processes, bound as uvicorn binds its own but
    created with proto IPPROTO_TCP. Accepted sockets inherit the listener's proto, and
    asyncio turns Nagle's algorithm off (TCP_NODELAY) only on IPPROTO_TCP sockets: on
    uvicorn's listener (proto 0) every keep-alive response waits ~40 ms for the client's
    delayed ACK (uvicorn#3149)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


@apikeys_app.command("create")
def create(
    participant: Annotated[str, typer.Argument(help="Participant name, as its keystore.")],
    address: Annotated[str, typer.Option(help="The participant's member address.")],
) -> None:
    """Create an API key for a participant; it is printed once and stored hashed."""
    engine = create_db_engine(Settings().database_url)
    try:
        require_current(engine)
        with transaction(session_factory(engine)) as session:
            key = create_api_key(session=session, participant=participant, address=address)
    except ScfError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(key)
