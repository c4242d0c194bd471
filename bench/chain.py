"""Raw signed-transaction throughput and inclusion latency: anvil, 1-node and 4-node Clique.

The same pre-signed ERC-20 transfers (BaselineERC20 from the shipped artifacts) go to every
chain in one run: all chains use chain id 2026 and the same keys, so the signatures are made
once. Senders' transactions are spread over the nodes (a member's gateway talks to its own
node), sent in JSON-RPC batches over keep-alive HTTP, one thread per node. A watcher polls
node 0 for new blocks and stamps each transaction when its block is seen.

    .venv/bin/python bench/chain.py [--txs 8000] [--senders 16] [--only anvil,clique1,clique4]
    .venv/bin/python bench/chain.py --only anvil,clique4,clique4-full,clique4-lean,clique4-p2
    .venv/bin/python bench/chain.py --only anvil,clique4,clique4-2signers --rate 400

With `--rate R` the senders offer R transactions a second over all nodes (each node its
share, in batches ten times a second) instead of as fast as the nodes take them: below
what a chain includes, the inclusion latency is the chain's own, not a backlog's.

The clique4-* variants are the 4-node network tuned one way each (VARIANTS): the same gas
per second in longer periods, `--gcmode full`, geth's background work off.

throughput = transactions / (last inclusion seen - first send); latency = block seen - the
send of the transaction's batch returned. Each chain is fresh (nothing else running on it).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from rich.console import Console
from rich.table import Table
from web3 import Web3

from scfledger.chain.artifacts import load_artifact
from scfledger.network.anvil import anvil_node, free_port
from scfledger.network.clique import CliqueNetwork
from scfledger.network.clique_spec import AUTHRPC_OFFSET, P2P_OFFSET, WS_OFFSET, NodeTuning
from scfledger.network.deadlock import StallGuard

CHAIN_ID = 2026
GAS_LIMIT_BLOCK = 100_000_000  # as chain-config/clique/genesis.template.json
TRANSFER_GAS = 60_000
MAX_FEE = 10**10  # 10 gwei ceiling: base fee starts at 7 wei (Clique) and barely moves
TIP = 1  # wei: the Clique nodes' --miner.gasprice
FUND = 10**24
BATCH = 250  # transactions per JSON-RPC batch request
REORG_DEPTH = 6  # blocks below the head the watcher re-reads
RECIPIENTS = 64
PACED_BATCHES_PER_SECOND = 10  # per node, with --rate
# Without the state snapshot (built in the background for snap sync, which a consortium's
# few nodes can do without) and the trie prefetcher (warming caches on spare cores, of
# which two cores have none).
LEAN = ("--snapshot=false", "--cache.noprefetch")


@dataclass(frozen=True)
class Variant:
    """A way of running the 4-node network: its block period and the nodes' tuning."""

    label: str
    period: int
    tuning: NodeTuning


VARIANTS = {
    "clique4-full": Variant("4 sealers, --gcmode full", 1, NodeTuning(gc_mode="full")),
    "clique4-lean": Variant(
        "4 sealers, full, no snapshot/prefetch", 1, NodeTuning(gc_mode="full", flags=LEAN)
    ),
    "clique4-path": Variant(
        "4 sealers, lean, path state scheme",
        1,
        NodeTuning(gc_mode="full", state_scheme="path", flags=LEAN),
    ),
    "clique4-2signers": Variant(
        "4 nodes, 2 of them sealers, lean", 1, NodeTuning(gc_mode="full", flags=LEAN, signers=2)
    ),
    "clique4-p2": Variant(
        "4 sealers, lean, 2 s blocks of 200M",
        2,
        NodeTuning(gas_limit=2 * GAS_LIMIT_BLOCK, gc_mode="full", flags=LEAN),
    ),
    "clique4-p3": Variant(
        "4 sealers, lean, 3 s blocks of 300M",
        3,
        NodeTuning(gas_limit=3 * GAS_LIMIT_BLOCK, gc_mode="full", flags=LEAN),
    ),
}

console = Console(width=150)


@dataclass(frozen=True)
class Workload:
    deployer: LocalAccount
    senders: list[LocalAccount]
    token: str
    setup: list[tuple[str, bytes]]  # (tx hash, raw): deploy + one mint per sender
    transfers: list[list[tuple[str, bytes]]]  # per sender, in nonce order

    @property
    def count(self) -> int:
        return sum(len(txs) for txs in self.transfers)


@dataclass(frozen=True)
class Result:
    chain: str
    txs: int
    seconds: float
    send_rate: float
    blocks: int
    max_per_block: int
    p50: float
    p95: float
    p99: float
    replaced_blocks: int  # blocks seen on node 0 that a competing branch replaced

    @property
    def tps(self) -> float:
        return self.txs / self.seconds


def build_workload(tx_count: int, sender_count: int) -> Workload:
    """Signs everything once: deploy, mints, and tx_count transfers from sender_count keys."""
    deployer: LocalAccount = Account.from_key(keccak(text="scf bench deployer"))
    senders: list[LocalAccount] = [
        Account.from_key(keccak(text=f"scf bench sender {i}")) for i in range(sender_count)
    ]
    artifact = load_artifact("BaselineERC20")
    token = to_checksum_address(keccak(rlp.encode([bytes.fromhex(deployer.address[2:]), 0]))[12:])
    erc20 = Web3().eth.contract(abi=artifact.abi)

    def sign(account: LocalAccount, nonce: int, to: str | None, data: str, gas: int) -> Any:
        tx: dict[str, Any] = {
            "chainId": CHAIN_ID, "nonce": nonce, "gas": gas, "data": data, "value": 0,
            "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP, "type": 2,
        }  # fmt: skip
        if to is not None:
            tx["to"] = to
        signed = account.sign_transaction(tx)
        return ("0x" + signed.hash.hex(), bytes(signed.raw_transaction))

    setup = [sign(deployer, 0, None, artifact.bytecode, 2_000_000)]
    for i, sender in enumerate(senders):
        mint = erc20.encode_abi("mint", [sender.address, 10**30])
        setup.append(sign(deployer, i + 1, token, mint, 100_000))
    recipients = [Account.from_key(keccak(text=f"scf bench to {i}")).address for i in range(64)]
    per_sender = -(-tx_count // sender_count)
    transfers = []
    for s, sender in enumerate(senders):
        txs = []
        for n in range(per_sender):
            data = erc20.encode_abi("transfer", [recipients[(s + n) % RECIPIENTS], 1])
            txs.append(sign(sender, n, token, data, TRANSFER_GAS))
        transfers.append(txs)
    return Workload(deployer, senders, token, setup, transfers)


class Rpc:
    """Keep-alive JSON-RPC over one HTTP connection (one per thread)."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=60)

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]
        self.conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
        replies = sorted(json.loads(self.conn.getresponse().read()), key=lambda r: r["id"])
        errors = [r["error"] for r in replies if "error" in r]
        if errors:
            raise RuntimeError(f"{len(errors)} calls failed, first: {errors[0]}")
        return [r["result"] for r in replies]

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        return self.batch([(method, params or [])])[0]


def send_and_wait(urls: list[str], txs: list[tuple[str, bytes]], timeout: float = 60) -> None:
    """Sends txs to urls[0] and waits for all receipts (setup, not measured)."""
    rpc = Rpc(urls[0])
    for i in range(0, len(txs), BATCH):
        rpc.batch([("eth_sendRawTransaction", ["0x" + raw.hex()]) for _, raw in txs[i : i + BATCH]])
    deadline = time.monotonic() + timeout
    for tx_hash, _ in txs:
        while (receipt := _receipt(rpc, tx_hash)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"setup transaction {tx_hash} not mined")
            time.sleep(0.1)
        if receipt["status"] != "0x1":
            raise RuntimeError(f"setup transaction {tx_hash} failed")


def _receipt(rpc: Rpc, tx_hash: str) -> Any:
    try:
        return rpc.call("eth_getTransactionReceipt", [tx_hash])
    except RuntimeError as exc:
        # A freshly started geth answers this until its tx index is built: not mined yet.
        if "transaction indexing is in progress" in str(exc):
            return None
        raise


def measure(
    chain: str, urls: list[str], work: Workload, rate: float = 0, timeout: float = 300
) -> Result:
    """Sends the transfers, as fast as the nodes take them or (`rate` > 0) paced at `rate`
    transactions per second over all nodes, and times each one's inclusion."""
    send_and_wait(urls, work.setup)
    sent_at: dict[str, float] = {}
    # Clique sealers race out of turn under load, so node 0 may switch to another branch:
    # remember every block by hash and read inclusion off the final canonical chain.
    first_seen: dict[str, float] = {}  # block hash -> when the watcher first saw it
    seen_txs: set[str] = set()
    wanted = {h for txs in work.transfers for h, _ in txs}
    done = threading.Event()
    watcher_rpc = Rpc(urls[0])
    start_block = int(watcher_rpc.call("eth_blockNumber"), 16)

    def watch() -> None:
        try:
            scan()
        finally:  # a watcher that failed must not leave the run waiting out its timeout
            done.set()

    def scan() -> None:
        scanned = start_block
        deadline = time.monotonic() + timeout
        while not wanted <= seen_txs and time.monotonic() < deadline:
            head = int(watcher_rpc.call("eth_blockNumber"), 16)
            if head <= scanned:
                time.sleep(0.02)
                continue
            # Re-read a few blocks below the head too: they may have been replaced.
            first = max(start_block + 1, min(scanned + 1, head - REORG_DEPTH))
            blocks = watcher_rpc.batch(
                [("eth_getBlockByNumber", [hex(n), False]) for n in range(first, head + 1)]
            )
            now = time.perf_counter()
            for block in blocks:
                if block is None:  # the node's head went back meanwhile (a replaced branch)
                    break
                if block["hash"] not in first_seen:
                    first_seen[block["hash"]] = now
                    seen_txs.update(block["transactions"])
                scanned = max(scanned, int(block["number"], 16))

    # Sender s talks to node s % n; within a node the senders' nonces advance together.
    by_node: list[list[tuple[str, bytes]]] = []
    for node in range(len(urls)):
        mine = work.transfers[node :: len(urls)]
        by_node.append([txs[k] for k in range(max(map(len, mine))) for txs in mine if k < len(txs)])

    # Paced: each node's share of `rate`, in ten batches a second.
    per_node = rate / len(urls)
    batch = min(BATCH, max(1, round(per_node / PACED_BATCHES_PER_SECOND))) if rate else BATCH

    def send(node: int) -> None:
        rpc = Rpc(urls[node])
        txs = by_node[node]
        for i in range(0, len(txs), batch):
            if rate:  # wait for this batch's turn
                time.sleep(max(0.0, first_send + i / per_node - time.perf_counter()))
            chunk = txs[i : i + batch]
            rpc.batch([("eth_sendRawTransaction", ["0x" + raw.hex()]) for _, raw in chunk])
            now = time.perf_counter()
            for h, _ in chunk:
                sent_at[h] = now

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    first_send = time.perf_counter()
    with ThreadPoolExecutor(len(urls)) as pool:
        list(pool.map(send, range(len(urls))))
    last_send = time.perf_counter()
    done.wait(timeout)
    for _ in range(3):
        if not wanted <= seen_txs:
            raise RuntimeError(f"{chain}: {len(wanted - seen_txs)} of {len(wanted)} not mined")
        seen_at, block_sizes, reorged = _canonical_inclusion(urls[0], start_block, first_seen)
        missing = wanted - seen_at.keys()
        if not missing:
            break
        # Seen only in blocks a rival branch replaced: back in the pool, wait for them again.
        seen_txs.difference_update(missing)
        done.clear()
        threading.Thread(target=watch, daemon=True).start()
        done.wait(timeout)
    else:
        raise RuntimeError(f"{chain}: {len(missing)} txs not on the final chain")
    _check_succeeded(urls[0], work)
    last_seen = max(seen_at[h] for h in wanted)
    latencies = sorted(seen_at[h] - sent_at[h] for h in wanted)
    q = statistics.quantiles(latencies, n=100)
    busy = [n for n in block_sizes if n]
    return Result(
        chain=chain,
        txs=len(wanted),
        seconds=last_seen - first_send,
        send_rate=len(wanted) / (last_send - first_send),
        blocks=len(busy),
        max_per_block=max(busy),
        p50=q[49],
        p95=q[94],
        p99=q[98],
        replaced_blocks=reorged,
    )


def _canonical_inclusion(
    url: str, start_block: int, first_seen: dict[str, float]
) -> tuple[dict[str, float], list[int], int]:
    """tx hash -> when its canonical block was first seen; tx count per canonical block;
    how many blocks the watcher saw that did not end up canonical."""
    rpc = Rpc(url)
    head = int(rpc.call("eth_blockNumber"), 16)
    numbers = list(range(start_block + 1, head + 1))
    blocks = [
        block
        for i in range(0, len(numbers), 50)
        for block in rpc.batch(
            [("eth_getBlockByNumber", [hex(n), False]) for n in numbers[i : i + 50]]
        )
    ]
    fallback = time.perf_counter()
    seen_at = {
        tx: first_seen.get(block["hash"], fallback)
        for block in blocks
        for tx in block["transactions"]
    }
    canonical = {block["hash"] for block in blocks}
    return seen_at, [len(b["transactions"]) for b in blocks], len(first_seen.keys() - canonical)


def _check_succeeded(url: str, work: Workload) -> None:
    """Every sender's last transfer succeeded (a failed transfer would inflate the rate)."""
    rpc = Rpc(url)
    receipts = [_receipt(rpc, txs[-1][0]) for txs in work.transfers]
    failed = [r["transactionHash"] for r in receipts if r["status"] != "0x1"]
    if failed:
        raise RuntimeError(f"transfers failed: {failed[:3]}")


@contextmanager
def anvil_chain(work: Workload) -> Iterator[list[str]]:
    # Same block rhythm and gas limit as the Clique networks: a 1 s interval, 100M gas.
    with anvil_node("--block-time", "1", "--gas-limit", str(GAS_LIMIT_BLOCK),
                    "--base-fee", "7", chain_id=CHAIN_ID) as url:  # fmt: skip
        rpc = Rpc(url)
        for account in [work.deployer, *work.senders]:
            rpc.call("anvil_setBalance", [account.address, hex(FUND)])
        yield [url]


@contextmanager
def clique_chain(
    work: Workload, nodes: int, period: int, tuning: NodeTuning | None = None
) -> Iterator[list[str]]:
    alloc: dict[str, int] = {a.address: FUND for a in [work.deployer, *work.senders]}
    span = max(WS_OFFSET, AUTHRPC_OFFSET, P2P_OFFSET) + nodes
    with tempfile.TemporaryDirectory(prefix=f"bench-clique{nodes}-") as tmp:
        network = CliqueNetwork(
            Path(tmp), nodes=nodes, period=period, chain_id=CHAIN_ID,
            base_port=free_port(span), alloc=alloc, tuning=tuning or NodeTuning(),
        )  # fmt: skip
        try:
            network.start()
            # A sealing deadlock would end the run; a broken one is printed (it costs time).
            with StallGuard(network, on_recovery=lambda r: console.print(f"[yellow]{r}[/]")):
                yield [network.rpc_url(i) for i in range(nodes)]
        finally:
            network.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=8000, help="transfers per chain")
    parser.add_argument("--senders", type=int, default=16, help="sending accounts")
    parser.add_argument("--period", type=int, default=1, help="Clique block period (s)")
    parser.add_argument("--only", default="anvil,clique1,clique4", help="chains to run")
    parser.add_argument(
        "--rate", type=float, default=0,
        help="offered transactions per second over all nodes (default: as fast as taken)",
    )  # fmt: skip
    args = parser.parse_args()

    started = time.perf_counter()
    work = build_workload(args.txs, args.senders)
    signing = time.perf_counter() - started
    console.print(
        f"signed {work.count + len(work.setup)} transactions in {signing:.1f} s "
        f"({(work.count + len(work.setup)) / signing:,.0f}/s, coincurve)"
    )
    chains: dict[str, Callable[[], Any]] = {
        "anvil": lambda: anvil_chain(work),
        "clique1": lambda: clique_chain(work, 1, args.period),
        "clique4": lambda: clique_chain(work, 4, args.period),
    }
    for name, variant in VARIANTS.items():
        chains[name] = functools.partial(clique_chain, work, 4, variant.period, variant.tuning)
    results = []
    for name in args.only.split(","):
        with chains[name]() as urls:
            result = measure(name, urls, work, args.rate)
        results.append(result)
        console.print(
            f"{name}: {result.tps:,.0f} tx/s ({result.txs} in {result.seconds:.1f} s), "
            f"p50 {result.p50:.2f} s"
        )
    print_table(results, args)


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    base = next((r for r in results if r.chain == "anvil"), None)
    table = Table(
        title=f"Raw signed ERC-20 transfers: {results[0].txs} txs from {args.senders} senders, "
        f"1 s blocks of 100M gas unless the chain says otherwise"
    )
    for column in ("chain", "tx/s", "x anvil", "sent/s", "blocks", "max tx/block",
                   "replaced", "p50 s", "p95 s", "p99 s"):  # fmt: skip
        table.add_column(column, justify="left" if column == "chain" else "right")
    labels = {"anvil": "anvil (1 node)", "clique1": "geth Clique, 1 sealer",
              "clique4": "geth Clique, 4 sealers",
              **{name: f"geth Clique, {v.label}" for name, v in VARIANTS.items()}}  # fmt: skip
    for r in results:
        table.add_row(
            labels.get(r.chain, r.chain), f"{r.tps:,.0f}",
            f"{r.tps / base.tps:.2f}" if base else "-", f"{r.send_rate:,.0f}", str(r.blocks),
            str(r.max_per_block), str(r.replaced_blocks),
            f"{r.p50:.2f}", f"{r.p95:.2f}", f"{r.p99:.2f}",
        )  # fmt: skip
    table.add_row("Besu QBFT, 4 validators (published)",
                  "750-1,200", "", "", "", "", "", "", "", "")  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
