"""`scf up`, `scf serve` and `scf apikeys create`: run the gateway and issue API keys."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from web3 import HTTPProvider, Web3

from scfledger.api.app import create_app, freeze_startup_heap
from scfledger.api.seed import DEMO_MEMBERS, build_gateway, dev_chain_provision, seed_demo
from scfledger.chain.deployment import load_manifest
from scfledger.config import Settings
from scfledger.db.migrate import require_current, upgrade
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.exceptions import ScfError
from scfledger.keys.store import KeyStore
from scfledger.network.anvil import anvil_node
from scfledger.services.apikeys import create_api_key

console = Console()
apikeys_app = typer.Typer(help="API keys of participants (shown once, stored hashed).")

Port = Annotated[int, typer.Option(min=1, max=65535, help="Port of the API on 127.0.0.1.")]


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def up(
    directory: Annotated[Path, typer.Option("--dir", help="Working directory (recreated).")] = Path(
        "var/up"
    ),
    port: Port = 8000,
) -> None:
    """Start a dev chain, deploy, seed a demo consortium and serve the API on 127.0.0.1.

    The consortium: a core enterprise, suppliers on three tiers, a bank and an auditor, each
    with an encrypted keystore and an API key written to <dir>/credentials.json."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    passphrase = os.environ.get("SCF_KEYSTORE_PASSPHRASE") or secrets.token_urlsafe(24)
    _write_private(directory / "keystore-passphrase", passphrase + "\n")
    database = f"sqlite:///{directory / 'gateway.sqlite3'}"
    upgrade(database)
    engine = create_db_engine(database)
    keys = KeyStore(directory / "keys", passphrase, scrypt_n=2**14)  # a throwaway dev chain
    with anvil_node("--accounts", "10") as chain_url:
        console.print(f"dev chain (anvil, paris) at {chain_url}")
        w3 = Web3(HTTPProvider(chain_url))
        seeded = seed_demo(w3, keys, engine, DEMO_MEMBERS)
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
        gateway = build_gateway(
            chain_url=chain_url,
            engine=engine,
            keys=keys,
            contracts=seeded.contracts,
            start_block=seeded.deployment_block,
            provision=dev_chain_provision(w3),
        )
        # A dev set-up: webhooks may go to receivers on this machine.
        gateway.settings = gateway.settings.model_copy(update={"webhook_allow_private_urls": True})
        _print_next_steps(directory, port, credentials)
        app = create_app(gateway)
        freeze_startup_heap()
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _print_next_steps(directory: Path, port: int, credentials: dict[str, dict[str, str]]) -> None:
    console.print(f"deployed and seeded; API keys in {directory / 'credentials.json'} (mode 600)")
    for name, entry in credentials.items():
        console.print(f"  {name:10} {entry['address']}")
    base = f"http://127.0.0.1:{port}"
    console.print(f"API on {base}  (OpenAPI: {base}/docs)  Ctrl-C stops everything. Try:")
    console.print(
        f"  KEY=$(python -c \"import json;print(json.load(open('{directory}/credentials.json'))"
        "['core']['apiKey'])\")\n"
        f'  curl -s -H "Authorization: Bearer $KEY" {base}/v1/members\n'
        f"  curl -s -X POST -H \"Authorization: Bearer $KEY\" -H 'Idempotency-Key: demo-1'"
        f" -H 'Content-Type: application/json' '{base}/v1/receivables?wait=indexed' -d "
        '\'{"creditor": "<supplier1 address>", "face_amount": 100000000,'
        ' "currency": "CNY", "due_date": <unix seconds>,'
        ' "document_hash": "0x<sha-256 of the invoice>"}\''
    )


def serve(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the member's node.")],
    manifest: Annotated[Path, typer.Option("--manifest", help="Deployment manifest.")],
    port: Port = 8000,
    confirmations: Annotated[int, typer.Option(min=0, help="Indexer confirmations.")] = 0,
) -> None:
    """Serve the API over an existing network and deployment.

    Database, key directory and keystore passphrase come from SCF_* settings."""
    settings = Settings()
    engine = create_db_engine(settings.database_url)
    try:
        require_current(engine)
        keys = KeyStore.from_settings(settings)
    except ScfError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    deployment = load_manifest(manifest)
    gateway = build_gateway(
        chain_url=rpc,
        engine=engine,
        keys=keys,
        contracts={name: entry["address"] for name, entry in deployment["contracts"].items()},
        start_block=int(deployment["deploymentBlock"]),
        confirmations=confirmations,
    )
    app = create_app(gateway)
    freeze_startup_heap()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


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
