"""`scf deploy` (and scripts/deploy.py): deploy a named ledger once, verify it afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from web3 import HTTPProvider, Web3
from web3.exceptions import TimeExhausted
from web3.middleware import ExtraDataToPOAMiddleware

from scfledger.chain.deployment import (
    PASSPHRASE_ENV,
    DeploymentError,
    deploy,
    load_deployer,
    load_params,
    manifest_path,
    params_path,
    verify,
)
from scfledger.exceptions import ChainError

console = Console(soft_wrap=True)  # paths and hashes stay whole, never folded


def deploy_command(
    rpc: Annotated[str, typer.Option(help="JSON-RPC URL of a node of the target chain.")],
    name: Annotated[
        str, typer.Option(help="Deployment name: <name>.json and <name>.params.json.")
    ] = "local",
    key_file: Annotated[
        Path | None,
        typer.Option(help="File (mode 600) holding the deployer's hex private key."),
    ] = None,
    keystore: Annotated[
        Path | None,
        typer.Option(
            help=f"eth-account keystore of the deployer; passphrase in ${PASSPHRASE_ENV}."
        ),
    ] = None,
    deployments_dir: Annotated[
        Path, typer.Option(help="Where manifests and parameter files live.")
    ] = Path("chain-config/deployments"),
    params: Annotated[
        Path | None,
        typer.Option(help="Parameters file (default: <deployments-dir>/<name>.params.json)."),
    ] = None,
) -> None:
    """Deploy the ledger's contracts from the shipped artifacts and record
    them in <deployments-dir>/<name>.json. If that manifest exists, only verify that the
    chain still holds the recorded code (exit 1 if not) and change nothing."""
    w3 = Web3(HTTPProvider(rpc, request_kwargs={"timeout": 30}))
    # Clique and QBFT headers carry more than 32 bytes of extraData.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    try:
        path = manifest_path(deployments_dir, name)
        if path.exists():
            _verify(w3, path)
            return
        parameters = load_params(params or params_path(deployments_dir, name))
        deployer = load_deployer(key_file=key_file, keystore=keystore)
        console.print(f"deploying {name!r} from {deployer.address} to chain {w3.eth.chain_id}")
        manifest = deploy(
            w3, name=name, deployer=deployer, params=parameters, directory=deployments_dir
        )
    except (ChainError, OSError, TimeExhausted) as exc:
        # ChainError covers DeploymentError and decoded contract reverts; TimeExhausted is
        # a transaction the chain did not mine in time.
        console.print(f"[red]deploy failed:[/] {exc}")
        raise typer.Exit(1) from None
    for contract, entry in manifest["contracts"].items():
        console.print(f"  {contract:<20} {entry['address']}  code {entry['codeHash'][:18]}...")
    console.print(f"deployment block {manifest['deploymentBlock']}; recorded in {path}")


def _verify(w3: Web3, path: Path) -> None:
    result = verify(w3, path)
    if not result.ok:
        console.print(f"[red]deployment {path} does not match the chain:[/]")
        for problem in result.problems:
            console.print(f"  [red]{problem}[/]")
        raise typer.Exit(1)
    contracts = ", ".join(result.manifest["contracts"])
    console.print(f"{path} verified: {contracts} hold the recorded code; nothing deployed")
    if result.artifacts_changed:
        console.print(
            "[yellow]note: the shipped artifacts differ from the ones deployed "
            "(source hash changed); upgrading needs a new deployment name[/]"
        )


def main() -> None:
    """Entry point of scripts/deploy.py."""
    typer.run(deploy_command)


__all__ = ["DeploymentError", "deploy_command", "main"]
