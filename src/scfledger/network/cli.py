"""`scf chain` commands: start, inspect and stop the local Clique network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from eth_utils.address import is_address
from rich.console import Console
from rich.table import Table

from scfledger.network.clique import CliqueNetwork, CliqueNetworkError

chain_app = typer.Typer(help="Local go-ethereum Clique proof-of-authority network.")
console = Console()

DEFAULT_FUND_WEI = 10**24  # one million ether: plenty for any local run
DataDir = Annotated[
    Path, typer.Option("--data-dir", help="Directory holding the network's keys, chain and logs.")
]


def _parse_fund(entries: list[str]) -> dict[str, int]:
    """ADDRESS or ADDRESS=WEI entries into a genesis allocation."""
    alloc: dict[str, int] = {}
    for entry in entries:
        address, _, wei = entry.partition("=")
        if not is_address(address) or (wei and not wei.isdigit()):
            raise typer.BadParameter(f"expected ADDRESS or ADDRESS=WEI, got {entry!r}")
        alloc[address] = int(wei) if wei else DEFAULT_FUND_WEI
    return alloc


@chain_app.command()
def start(
    data_dir: DataDir = Path("var/clique"),
    nodes: Annotated[int, typer.Option(help="Number of sealer nodes (first start only).")] = 4,
    period: Annotated[int, typer.Option(help="Seconds between blocks (first start only).")] = 1,
    base_port: Annotated[
        int, typer.Option(help="Node i serves JSON-RPC on base-port + i (first start only).")
    ] = 8545,
    fund: Annotated[
        list[str] | None,
        typer.Option(help="ADDRESS[=WEI] to fund in the genesis; repeatable (first start only)."),
    ] = None,
) -> None:
    """Start the network, creating it in DATA_DIR on first use; later starts reuse its chain."""
    alloc = _parse_fund(fund or [])
    try:
        if (data_dir / "network.json").is_file():
            network = CliqueNetwork.open(data_dir)
            if nodes != network.nodes or alloc:
                console.print(
                    f"[yellow]{data_dir} already holds a {network.nodes}-node network: "
                    "starting it as it is (--nodes, --period, --base-port, --fund ignored)[/]"
                )
        else:
            network = CliqueNetwork(
                data_dir, nodes=nodes, period=period, base_port=base_port, alloc=alloc
            )
        network.start()
    except CliqueNetworkError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    _print_status(network)


@chain_app.command()
def status(data_dir: DataDir = Path("var/clique")) -> None:
    """Show each node: process, head block, peers and the signers it knows."""
    try:
        network = CliqueNetwork.open(data_dir)
    except CliqueNetworkError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    _print_status(network)


@chain_app.command()
def stop(data_dir: DataDir = Path("var/clique")) -> None:
    """Stop every node of the network gracefully; its chain stays in DATA_DIR."""
    try:
        network = CliqueNetwork.open(data_dir)
    except CliqueNetworkError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    network.stop()
    console.print(f"stopped {network.nodes} nodes in {data_dir}")


def _print_status(network: CliqueNetwork) -> None:
    table = Table(title=f"Clique network in {network.data_dir} (chain id {network.chain_id})")
    for column in ("node", "sealer", "pid", "JSON-RPC", "head", "peers", "signers"):
        table.add_column(column)
    for node in network.status():
        table.add_row(
            str(node.index),
            node.sealer,
            str(node.pid) if node.running else "[red]stopped[/]",
            node.rpc_url,
            _or_dash(node.head),
            _or_dash(node.peers),
            str(len(node.signers)) if node.signers else "-",
        )
    console.print(table)


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)
