"""Indexer catch-up into PostgreSQL beside raw eth_getLogs + ABI decoding of the same range.

    .venv/bin/python bench/index.py [--splits 25000] [--batch-blocks 10] [--repeat 1] [--profile]

Makes the events on anvil (many transactions per block: automine off, blocks mined
explicitly): every split emits 4 events, every settlement batch of 50 pieces 150. Then, in
the same run: (1) raw, eth_getLogs over the range in the indexer's batch size plus decoding
with the indexer's decoder, no database; (2) the indexer catching up into a fresh PostgreSQL
database (started here, as the tests do); (3) steady state: the indexer following the chain
while new blocks arrive every second, sampling its lag, then `scf reconcile`'s comparison of
the read model with the chain. `--repeat N`: (1) and (2) N times in turn (each catch-up into
a fresh database) before (3). Each path's wall time and CPU time are printed: this
process's (both of the indexer's threads) and the PostgreSQL backends' (from `/proc`),
which a shared machine distorts far less than the wall time. `--profile`: then (4) a second
catch-up into another fresh database under cProfile, printing where its time goes (the
indexer's own functions by cumulative time, and the database's COMMITs).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.table import Table
from sqlalchemy import event
from web3 import HTTPProvider, Web3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scfledger.chain.deployment import deployed_contracts
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.decode import LogDecoder
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.indexer.reconcile import reconcile
from scfledger.network.anvil import anvil_node
from tests.support.ledger import DAY, Consortium, deploy_consortium, h
from tests.support.postgres import postgres_server

HOLDERS = ["supplier1", "supplier2", "supplier3", "supplier4", "bank", "bank2"]
SPLIT_GAS = 250_000
SETTLE_GAS = 3_000_000


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    return w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def mine_until_empty(w3: Web3) -> None:
    while True:
        rpc(w3, "evm_mine")
        pending = w3.eth.get_block("pending")["transactions"]
        if not pending:
            return


def send_wave(w3: Web3, txs: list[Any]) -> None:
    """Sends transactions in JSON-RPC batches of 500 (the node signs: dev accounts)."""
    url = w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with requests.Session() as http:
        for start in range(0, len(txs), 500):
            calls = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_sendTransaction", "params": [_hexed(tx)]}
                for i, tx in enumerate(txs[start : start + 500])
            ]
            replies = http.post(url, json=calls, timeout=120).json()
            errors = [r["error"] for r in replies if "error" in r]
            assert not errors, errors[:3]
            if start % 5000 == 0:
                mine_until_empty(w3)
    mine_until_empty(w3)


def _hexed(tx: dict[str, Any]) -> dict[str, Any]:
    return {k: hex(v) if isinstance(v, int) else v for k, v in tx.items() if k != "chainId"}


def _tx(c: Consortium, call: Any, sender: str, nonce: int, gas: int) -> dict[str, Any]:
    """A transaction for the node to sign, encoded here: web3's `build_transaction` asks
    the node for fees on every call (an hour for the 50,000 of a run on a busy machine)."""
    return {
        "from": sender,
        "to": c.token.address,
        "data": call._encode_transaction_data(),
        "nonce": nonce,
        "gas": gas,
    }


def make_events(c: Consortium, splits: int) -> tuple[int, int]:
    """Returns the block range [first, last] holding the generated events."""
    w3 = c.w3
    first = w3.eth.block_number + 1
    roots: dict[str, tuple[int, int]] = {}
    for holder in HOLDERS[:4]:
        roots[holder] = c.issue_active(creditor=holder, amount=10**15, due_in=30 * DAY)
    for bank in HOLDERS[4:]:  # banks get their roots by a whole transfer of a supplier's piece
        slot, root = c.issue_active(creditor="supplier1", amount=10**15, due_in=30 * DAY)
        c.transfer(root, bank)  # the bank signs for it
        roots[bank] = (slot, root)
    rpc(w3, "evm_setAutomine", False)
    nonces = {h_: int(w3.eth.get_transaction_count(c.accounts[h_])) for h_ in HOLDERS}
    txs: list[Any] = []
    children: dict[str, list[int]] = {h_: [] for h_ in HOLDERS}
    received: list[tuple[str, int]] = []
    next_token = c.token.functions.lastTokenId().call() + 1
    for i in range(splits):
        holder = HOLDERS[i % len(HOLDERS)]
        receiver = HOLDERS[(i + 1) % len(HOLDERS)]
        call = c.token.functions.transferFrom(roots[holder][1], c.accounts[receiver], 1000 + i)
        txs.append(_tx(c, call, c.accounts[holder], nonces[holder], SPLIT_GAS))
        nonces[holder] += 1
        children[holder].append(next_token + i)  # sent in order: ids follow
        received.append((receiver, next_token + i))
    send_wave(w3, txs)
    signatures: list[Any] = []  # each receiver signs for its pieces (签收)
    for receiver, token_id in received:
        call = c.token.functions.acceptPiece(token_id)
        signatures.append(_tx(c, call, c.accounts[receiver], nonces[receiver], SPLIT_GAS))
        nonces[receiver] += 1
    send_wave(w3, signatures)
    rpc(w3, "evm_setAutomine", True)
    c.travel_to(c.due_date(roots[HOLDERS[0]][1]))
    rpc(w3, "evm_setAutomine", False)
    nonce = int(w3.eth.get_transaction_count(c.core))
    settle: list[Any] = []
    for holder, pieces in children.items():  # off-chain: each awaits its payee's confirmation
        for start in range(0, len(pieces), 50):
            call = c.token.functions.settleBatch(
                roots[holder][0], pieces[start : start + 50], h("run")
            )
            settle.append(_tx(c, call, c.core, nonce, SETTLE_GAS))
            nonce += 1
    send_wave(w3, settle)
    rpc(w3, "evm_setAutomine", True)
    return first, w3.eth.block_number


@dataclass
class Run:
    """A path's events, wall seconds and CPU seconds: of this process (every thread) and
    of the PostgreSQL backends it used. On a shared machine the CPU times move far less
    than the wall time."""

    events: int
    seconds: float
    cpu: float
    pg_cpu: float = 0.0


def raw_rate(w3: Web3, decoder: LogDecoder, first: int, last: int, batch: int) -> Run:
    start, cpu, events = time.perf_counter(), time.process_time(), 0
    for block in range(first, last + 1, batch):
        params = {"fromBlock": hex(block), "toBlock": hex(min(block + batch - 1, last))}
        logs = rpc(w3, "eth_getLogs", {**params, "address": decoder.addresses})
        events += sum(1 for entry in logs if decoder.decode(entry) is not None)
    return Run(events, time.perf_counter() - start, time.process_time() - cpu)


def catch_up_into(w3: Web3, pg: Any, config: IndexerConfig) -> tuple[Indexer, Run]:
    """A catch-up of the whole range into a fresh PostgreSQL database."""
    db = pg.create_database()
    upgrade(db)
    engine = create_db_engine(db)
    backends: set[int] = set()

    @event.listens_for(engine, "connect")
    def remember(connection: Any, _: Any) -> None:
        with connection.cursor() as cursor:
            backends.add(cursor.execute("SELECT pg_backend_pid()").fetchone()[0])

    indexer = Indexer(w3, session_factory(engine), config)
    started, cpu = time.perf_counter(), time.process_time()
    indexer.catch_up()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    run = Run(indexer.stats.events, seconds, cpu, sum(map(backend_cpu, backends)))
    engine.dispose()
    return indexer, run


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) a PostgreSQL backend used so far (Linux `/proc`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_profile(console: Console, profile: cProfile.Profile, seconds: float) -> None:
    """The indexer's functions (and the COMMITs) by cumulative time: where a catch-up goes."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    table = Table(title=f"Where the catch-up's {seconds:.1f} s go (cProfile, cumulative)")
    for column in ("function", "calls", "seconds", "share"):
        table.add_column(column, justify="left" if column == "function" else "right")
    rows = []
    for (path, line, name), (_, calls, _, cumulative, _) in stats.items():
        if "/scfledger/" in path or name == "_commit_impl":
            where = path.split("/scfledger/")[-1] if "/scfledger/" in path else "sqlalchemy"
            rows.append((cumulative, calls, f"{where}:{line} {name}"))
    for cumulative, calls, label in sorted(rows, reverse=True)[:40]:
        table.add_row(label, f"{calls:,}", f"{cumulative:.2f}", f"{cumulative / seconds:.0%}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--splits", type=int, default=25_000)
    parser.add_argument("--batch-blocks", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="a profiled catch-up as well")
    parser.add_argument(
        "--repeat", type=int, default=1, help="raw and catch-up pairs, in turn, on the same chain"
    )
    args = parser.parse_args()
    console = Console(width=120)
    with anvil_node("--accounts", "20", "--gas-limit", "300000000") as url, postgres_server() as pg:
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 120}))
        c = deploy_consortium(w3=w3)
        made = time.perf_counter()
        first, last = make_events(c, args.splits)
        console.print(f"made blocks {first}..{last} in {time.perf_counter() - made:.0f} s")
        contracts = deployed_contracts(c.ledger)
        decoder = LogDecoder(contracts)
        config = IndexerConfig(
            contracts=contracts,
            start_block=c.ledger.deployment_block,
            batch_size=args.batch_blocks,
            max_batch_size=args.batch_blocks,
        )
        # Raw and indexer in turn, each catch-up into a fresh database; the first indexer
        # then follows the chain.
        pairs: list[tuple[Run, Run]] = []
        for _ in range(args.repeat):
            raw = raw_rate(w3, decoder, c.ledger.deployment_block, last, args.batch_blocks)
            indexer, run = catch_up_into(w3, pg, config)
            assert run.events == raw.events, (run.events, raw.events)
            pairs.append((raw, run))
            if len(pairs) == 1:
                follower_indexer = indexer
        indexer = follower_indexer

        # Steady state: blocks every second with a few splits each, indexer following.
        rpc(w3, "evm_setIntervalMining", 1)
        stop = threading.Event()
        follower = threading.Thread(target=indexer.run, args=(stop.is_set, 0.1), daemon=True)
        follower.start()
        lags: list[int] = []
        _, root = c.issue_active(amount=10**12)
        for i in range(40):
            c.w3.eth.send_transaction(
                {"from": c.supplier1, "to": c.token.address, "gas": SPLIT_GAS,
                 "data": c.token.functions.transferFrom(root, c.supplier2, 100 + i)
                 ._encode_transaction_data()}
            )  # fmt: skip
            time.sleep(0.25)
            lags.append(indexer.lag())
        stop.set()
        follower.join(timeout=10)
        # The read model is what the chain says: `scf reconcile`'s comparison, at the block
        # the index reached.
        checkpoint = indexer.checkpoint()
        assert checkpoint is not None
        with indexer.sessions() as session:
            differences = reconcile(
                session, registry=c.registry, token=c.token, financing=c.financing,
                at_block=checkpoint[0], set_off=c.set_off,
            )  # fmt: skip
        assert differences == [], differences[:5]
        console.print(f"reconcile at block {checkpoint[0]}: no differences")
        if args.profile:
            profile = cProfile.Profile()
            profiled = profile.runcall(catch_up_into, w3, pg, config)[1].seconds

    table = Table(
        title=f"Indexer catch-up, {pairs[0][0].events:,} events, {last - first + 1} blocks,"
        " PostgreSQL (CPU: this process's, all threads; PostgreSQL's: its backends')"
    )
    for column in ("path", "seconds", "events/s", "ratio", "CPU s", "PostgreSQL CPU s"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for n, (raw, run) in enumerate(pairs, 1):
        raw_rate_, index_rate = raw.events / raw.seconds, run.events / run.seconds
        table.add_row(f"{n}: raw eth_getLogs + decode", f"{raw.seconds:.1f}", f"{raw_rate_:,.0f}",
                      "1.00", f"{raw.cpu:.1f}", "")  # fmt: skip
        table.add_row(
            f"{n}: indexer into PostgreSQL", f"{run.seconds:.1f}", f"{index_rate:,.0f}",
            f"{index_rate / raw_rate_:.2f}", f"{run.cpu:.1f}", f"{run.pg_cpu:.1f}",
        )  # fmt: skip
    console.print(table)
    if len(pairs) > 1:
        ratios = [raw.seconds / run.seconds for raw, run in pairs]
        console.print(f"ratio median {statistics.median(ratios):.2f} of {len(pairs)} pairs")
    console.print(
        f"steady state, 1 s blocks: lag max {max(lags)} blocks,"
        f" median {statistics.median(lags):.0f}"
    )
    if args.profile:
        print_profile(console, profile, profiled)


if __name__ == "__main__":
    main()
