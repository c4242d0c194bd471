"""`scf up`, `scf serve` and `scf apikeys create`: run the gateway and issue API keys.

Options become Settings fields (scfledger.config); the gateway is built from them by the
composition root (scfledger.app)."""

from __future__ import annotations

import json
import secrets
import shutil
import signal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.console import Console

from scfledger.app.serve import HOST
from scfledger.app.serve import serve as serve_gateway
from scfledger.config import Settings, load_settings
from scfledger.db.migrate import require_current, upgrade
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.devchain.local import consortium_chain, dev_chain
from scfledger.devchain.seed import DEMO_MEMBERS, DemoPerson, seed_demo
from scfledger.exceptions import ScfError
from scfledger.keys.store import KeyStore
from scfledger.network.clique import CliqueNetwork
from scfledger.people.apikeys import create_api_key

# The demo people's secrets in `scf up`'s directory, marked as a demo's (docs/people.md).
PEOPLE_FILE = "people.json"
# Which chain `scf up` started and its node's URL, for `scf dev advance-time`.
CHAIN_FILE = "chain.json"
DEMO_DEPLOYMENT = "scf up"
LOGIN_PATH = "/v1/auth/login"  # the sign-in route (docs/people.md)

console = Console()
apikeys_app = typer.Typer(help="API keys of participants (shown once, stored hashed).")

Port = Annotated[int, typer.Option(min=1, max=65535, help=f"Port of the API on {HOST}.")]
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
    maker_checker: Annotated[
        bool,
        typer.Option(
            help="Every participant with the default maker-checker policy (writes of issue, "
            "settlement, financing offers and funding, governance votes wait for a checker); "
            "--no-maker-checker: every write goes straight on."
        ),
    ] = True,
) -> None:
    """Start a local chain, deploy, seed a demo consortium and serve the API on 127.0.0.1.

    The consortium: a core enterprise, suppliers on three tiers, a bank and an auditor, each
    with an encrypted keystore and an API key written to <dir>/credentials.json, and its
    people (admin, maker, checker; a viewer at the auditor) with their passwords and
    second-factor secrets in <dir>/people.json (`scf dev totp` prints a current code)."""
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
    environment = _settings()  # SCF_* as set: the passphrase and metrics token, if given
    given = environment.keystore_passphrase
    passphrase = (given and given.get_secret_value()) or secrets.token_urlsafe(24)
    _write_private(directory / "keystore-passphrase", passphrase + "\n")
    token = environment.metrics_token or SecretStr(secrets.token_urlsafe(24))
    _write_private(directory / "metrics-token", token.get_secret_value() + "\n")
    # A throwaway dev set-up, everything under `directory`.
    local_settings: dict[str, Any] = {
        "database_url": f"sqlite:///{directory / 'gateway.sqlite3'}",
        "key_dir": directory / "keys",
        "document_dir": directory / "documents",
        "deployment_manifest": directory / "deployment.json",
        "keystore_passphrase": passphrase,
        "keystore_passphrase_file": None,
        "keystore_scrypt_n": 2**14,
        "metrics_token": token,
    }
    upgrade(local_settings["database_url"])
    engine = create_db_engine(local_settings["database_url"])
    keys = KeyStore(directory / "keys", passphrase, scrypt_n=2**14)
    local_chain = dev_chain() if chain is LocalChainKind.dev else consortium_chain(directory, keys)
    with local_chain as local:
        console.print(local.description)
        seeded = seed_demo(
            local.w3,
            keys,
            engine,
            DEMO_MEMBERS,
            provision=local.provision,
            deployer=local.deployer,
            maker_checker=maker_checker,
            people=True,
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
        write_people(directory / PEOPLE_FILE, seeded.people)
        write_chain(directory / CHAIN_FILE, engine=local.engine, rpc=local.rpc)
        _print_next_steps(directory, port, credentials)
        _print_sign_in(directory, port)
        _print_maker_checker(port, maker_checker)
        settings = _settings(chain_url=local.rpc, **local_settings, **local.settings)
        _serve(settings, port, workers)


def _print_next_steps(directory: Path, port: int, credentials: dict[str, dict[str, str]]) -> None:
    console.print(f"deployed and seeded; API keys in {directory / 'credentials.json'} (mode 600)")
    console.print(f"/metrics answers the bearer token in {directory / 'metrics-token'}")
    for name, entry in credentials.items():
        console.print(f"  {name:10} {entry['address']}")
    base = f"http://127.0.0.1:{port}"
    console.print(f"Console on {base}/  (sign in as a demo person: see below)")
    console.print(f"API on {base}  (OpenAPI: {base}/docs)  Ctrl-C stops everything. Try:")
    console.print(
        f"  KEY=$(python -c \"import json;print(json.load(open('{directory}/credentials.json'))"
        "['core']['apiKey'])\")\n"
        f'  curl -s -H "Authorization: Bearer $KEY" {base}/v1/members\n'
        f'  curl -s -H "Authorization: Bearer $KEY" -F "file=@invoice.pdf;type=application/pdf"'
        f" {base}/v1/documents   # its sha256 backs the receivable\n"
        f"  curl -s -X POST -H \"Authorization: Bearer $KEY\" -H 'Idempotency-Key: demo-1'"
        f" -H 'Content-Type: application/json' '{base}/v1/receivables?wait=indexed' -d "
        '\'{"creditor": "<supplier1 address>", "face_amount": "1000000.00",'
        ' "currency": "CNY", "due_date": <unix seconds>,'
        ' "document_hash": "0x<sha256 of the uploaded invoice>"}\''
    )


def write_people(path: Path, people: dict[str, dict[str, DemoPerson]]) -> None:
    """The demo people's secrets, for this machine's user only (`scf dev totp` reads it)."""
    document = {
        "deployment": DEMO_DEPLOYMENT,
        "people": {
            participant: {username: person.as_json() for username, person in persons.items()}
            for participant, persons in people.items()
        },
    }
    _write_private(path, json.dumps(document, indent=2) + "\n")


def write_chain(path: Path, *, engine: str, rpc: str) -> None:
    """Which chain the demo runs on and its node's URL (`scf dev advance-time` reads it)."""
    state = {"deployment": DEMO_DEPLOYMENT, "engine": engine, "rpc": rpc}
    path.write_text(json.dumps(state, indent=2) + "\n")


def _print_sign_in(directory: Path, port: int) -> None:
    """How to sign in as a demo person (no secret on the terminal: they are in the file)."""
    people = directory / PEOPLE_FILE
    console.print(
        f"people: admin (admin+checker), maker and checker of every participant, viewer of the"
        f" auditor; passwords and second-factor secrets in {people} (mode 600)."
        " Sign in as core's checker (docs/people.md):",
        markup=False,
    )
    checker = "['people']['core']['checker']['password']"
    login = (
        r"{\"participant\": \"core\", \"username\": \"checker\","
        r" \"password\": \"$PASSWORD\", \"code\": \"$CODE\"}"
    )
    console.print(
        f"""  PASSWORD=$(python -c "import json;print(json.load(open('{people}')){checker})")\n"""
        f"  CODE=$(scf dev totp --dir {directory} core checker)   # its authenticator's code\n"
        f"  curl -s -c cookies -H 'Content-Type: application/json'"
        f' http://127.0.0.1:{port}{LOGIN_PATH} -d "{login}"\n'
        '  # then -b cookies; a write also sends -H "X-CSRF-Token: <csrf_token of the answer>"',
        markup=False,
        soft_wrap=True,
    )


def _print_maker_checker(port: int, on: bool) -> None:
    """Whether writes wait for a checker, and how a checker approves one."""
    if not on:
        console.print("maker-checker is off (--no-maker-checker): every write goes straight on.")
        return
    console.print(
        "maker-checker is on (the default policy of docs/people.md): an issue, a settlement,"
        " a financing offer or funding, a governance vote answers 202 with a draft"
        ' ("object": "draft", Location: /v1/drafts/<id>) and is sent once another person of'
        " the institution with the checker role approves it. As core's checker, signed in"
        " above:",
        markup=False,
    )
    console.print(
        '  curl -s -b cookies -H "X-CSRF-Token: <csrf_token>" -X POST'
        f" http://127.0.0.1:{port}/v1/drafts/<id>/approve   # answers the draft and its operation",
        markup=False,
        soft_wrap=True,
    )


def serve(
    rpc: Annotated[
        str | None,
        typer.Option("--rpc", help="JSON-RPC URL of the member's node [SCF_CHAIN_URL]."),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option("--manifest", help="Deployment manifest [SCF_DEPLOYMENT_MANIFEST]."),
    ] = None,
    port: Port = 8000,
    confirmations: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Indexer confirmations (default: as the chain's engine needs) "
            "[SCF_INDEXER_CONFIRMATIONS].",
        ),
    ] = None,
    workers: Workers = 1,
    gas_faucet: Annotated[
        str | None,
        typer.Option(
            help="Keystore account that sends each participant created over the API "
            "--gas-grant wei (on chains where sending costs something) [SCF_GAS_FAUCET]."
        ),
    ] = None,
    gas_grant: Annotated[
        int | None, typer.Option(min=1, help="Wei per new participant [SCF_GAS_GRANT_WEI].")
    ] = None,
) -> None:
    """Serve the API over an existing network and deployment.

    Everything else (database, key directory, keystore passphrase, fees...) comes from
    SCF_* settings; an option given here takes precedence over its setting."""
    options = {
        "chain_url": rpc,
        "deployment_manifest": manifest,
        "indexer_confirmations": confirmations,
        "gas_faucet": gas_faucet,
        "gas_grant_wei": gas_grant,
    }
    _serve(_settings(**{k: v for k, v in options.items() if v is not None}), port, workers)


def _settings(**overrides: Any) -> Settings:
    """SCF_* settings with `overrides`; invalid ones end the command with status 2."""
    try:
        return load_settings(**overrides)
    except ScfError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _serve(settings: Settings, port: int, workers: int) -> None:
    try:
        serve_gateway(settings, port=port, workers=workers)
    except ScfError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except OSError as exc:
        console.print(f"[red]cannot listen on {HOST}:{port}: {exc.strerror}[/red]")
        raise typer.Exit(2) from exc


@apikeys_app.command("create")
def create(
    participant: Annotated[str, typer.Argument(help="Participant name, as its keystore.")],
    address: Annotated[str, typer.Option(help="The participant's member address.")],
) -> None:
    """Create an API key for a participant; it is printed once and stored hashed."""
    engine = create_db_engine(_settings().database_url)
    try:
        require_current(engine)
        with transaction(session_factory(engine)) as session:
            key = create_api_key(session=session, participant=participant, address=address)
    except ScfError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(key)
