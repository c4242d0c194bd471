"""`scf chain` commands: start, inspect and stop the local Clique network."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from eth_utils.address import is_address
from rich.console import Console
from rich.table import Table

from scfledger.network.besu import permissions_config, qbft_genesis
from scfledger.network.clique import CliqueNetwork
from scfledger.network.deadlock import Recovery, StallGuard
from scfledger.network.geth import CliqueNetworkError
from scfledger.network.validators import VoteResult, vote_validator

chain_app = typer.Typer(help="Local go-ethereum Clique proof-of-authority network.")
validators_app = typer.Typer(help="Vote Clique signers in or out by a majority of the signers.")
chain_app.add_typer(validators_app, name="validators")
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


@chain_app.command()
def watch(
    data_dir: DataDir = Path("var/clique"),
    stall_after: Annotated[
        float | None,
        typer.Option(help="Seconds without a new block before rival heads count as a deadlock."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--for", help="Stop after this many seconds (default: never).")
    ] = None,
) -> None:
    """Watch the running network and break Clique sealing deadlocks (go-ethereum#18402):
    when no block comes and the nodes sit on rival heads, rewind them to the block they
    agree on and send the discarded blocks' transactions again. Runs until Ctrl-C."""
    try:
        network = CliqueNetwork.open(data_dir)
    except CliqueNetworkError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc

    def report(recovery: Recovery) -> None:
        rivals = ", ".join(f"node {h.node} at {h.number}" for h in recovery.heads)
        console.print(
            f"[yellow]deadlock broken: {rivals} rewound to block {recovery.fork_block}, "
            f"{recovery.resent} transactions sent again[/]"
        )

    guard = StallGuard(network, stall_after=stall_after, on_recovery=report)
    console.print(
        f"watching {network.nodes} nodes in {data_dir}: rival heads with no new block for "
        f"{guard.stall_after:.0f} s are rewound (Ctrl-C stops)"
    )
    with guard, contextlib.suppress(KeyboardInterrupt):
        deadline = None if duration is None else time.monotonic() + duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    console.print(f"stopped watching; deadlocks broken: {len(guard.recoveries)}")


@chain_app.command("add-node")
def add_node(data_dir: DataDir = Path("var/clique")) -> None:
    """Add and start one more node with its own key, peered with all others. It does not
    sign blocks until `scf chain validators add` votes its address in."""
    try:
        network = CliqueNetwork.open(data_dir)
        index = network.add_node()
    except CliqueNetworkError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(
        f"node {index} started with key {network.sealers[index]}; vote it in with "
        f"`scf chain validators add {network.sealers[index]} --data-dir {data_dir}`"
    )
    _print_status(network)


Address = Annotated[str, typer.Argument(help="The signer's address (0x...).")]
VoteTimeout = Annotated[float, typer.Option(help="Seconds to wait for the vote to apply.")]


@validators_app.command("add")
def validators_add(address: Address, data_dir: DataDir = Path("var/clique"),
                   timeout: VoteTimeout = 60.0) -> None:  # fmt: skip
    """Vote ADDRESS in as a signer on a majority of the signers' nodes; wait until it is."""
    _vote(data_dir, address, authorize=True, timeout=timeout)


@validators_app.command("remove")
def validators_remove(address: Address, data_dir: DataDir = Path("var/clique"),
                      timeout: VoteTimeout = 60.0) -> None:  # fmt: skip
    """Vote ADDRESS out of the signers on a majority of the signers' nodes; wait until it is."""
    _vote(data_dir, address, authorize=False, timeout=timeout)


def _vote(data_dir: Path, address: str, *, authorize: bool, timeout: float) -> None:
    if not is_address(address):
        raise typer.BadParameter(f"not an address: {address!r}", param_hint="ADDRESS")
    try:
        result: VoteResult = vote_validator(
            CliqueNetwork.open(data_dir), address, authorize=authorize, timeout=timeout
        )
    except CliqueNetworkError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    verb = "added to" if authorize else "removed from"
    console.print(
        f"{result.address} {verb} the signers at block {result.block} "
        f"(votes by {', '.join(result.voters)}); signers now: {len(result.signers)}"
    )
    for signer in result.signers:
        console.print(f"  {signer}")


@chain_app.command("besu-genesis")
def besu_genesis(
    validators: Annotated[
        str, typer.Option(help="Comma-separated validator (node key) addresses.")
    ],
    out_dir: Annotated[
        Path, typer.Option(help="Where to write genesis.json (and permissions_config.toml).")
    ] = Path("chain-config/besu-qbft"),
    chain_id: Annotated[int, typer.Option(help="Chain id of the consortium network.")] = 2026,
    block_period: Annotated[int, typer.Option(help="QBFT block period in seconds.")] = 2,
    fund: Annotated[
        list[str] | None, typer.Option(help="ADDRESS[=WEI] to fund in the genesis; repeatable.")
    ] = None,
    enode: Annotated[
        list[str] | None,
        typer.Option(help="enode URL of a member node for the nodes allowlist; repeatable."),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option(help="Address allowed to send transactions (accounts allowlist); repeatable."),
    ] = None,
) -> None:
    """Write a Hyperledger Besu QBFT genesis whose extraData names VALIDATORS and, given
    --enode/--account, the local permissioning file (see docs/network.md)."""
    alloc = _parse_fund(fund or [])
    try:
        genesis = qbft_genesis(
            [v.strip() for v in validators.split(",") if v.strip()],
            chain_id=chain_id,
            block_period=block_period,
            alloc=alloc,
        )
        permissions = (
            permissions_config(enodes=enode or [], accounts=account or [])
            if enode or account
            else None
        )
    except CliqueNetworkError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "genesis.json").write_text(json.dumps(genesis, indent=2) + "\n")
    console.print(f"wrote {out_dir / 'genesis.json'} (chain id {chain_id}, QBFT)")
    if permissions is not None:
        (out_dir / "permissions_config.toml").write_text(permissions)
        console.print(f"wrote {out_dir / 'permissions_config.toml'}")


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
