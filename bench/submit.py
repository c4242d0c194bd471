"""Operations per second through the transaction pipeline vs raw web3.py sign-and-send.

Run: .venv/bin/python bench/submit.py [--ops N] [--levels 1,4,16] [--postgres] [--block-time S]

Both sides run on the same anvil chain (paris; a block a second by default) in the same
run and send the same operation (`ReceivableToken.issue`, a unique document each).
Raw: per thread one account with a local nonce counter, `eth_estimateGas`, sign,
`eth_sendRawTransaction`, then wait for every receipt. Pipeline: per thread one
participant, `Pipeline.submit` (operation row, nonce under a row lock, sign, broadcast),
then wait until every operation is `mined` (the background loop confirms receipts into
the database).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eth_keys.main import KeyAPI
from hexbytes import HexBytes

from scfledger.chain.fees import FeePolicy
from scfledger.chain.node import connect
from scfledger.chain.tx import GAS_MARGIN
from scfledger.keys.store import KeyStore
from tests.support.anvil import AnvilNode
from tests.support.gateway import (
    LedgerOnNode,
    deploy_for_participants,
    make_keystore,
    make_pipeline,
    migrated_engine,
)


@dataclass(frozen=True)
class Result:
    side: str
    database: str
    concurrency: int
    operations: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.operations / self.seconds


def _split(total: int, parts: int) -> list[list[int]]:
    return [list(range(i, total, parts)) for i in range(parts)]


def run_raw(
    ledger: LedgerOnNode, keys: KeyStore, names: list[str], total: int, offset: int
) -> float:
    w3 = connect(ledger.url)
    chain_id = w3.eth.chain_id
    fees = FeePolicy(w3)

    def worker(name: str, indexes: list[int]) -> list[HexBytes]:
        signer = keys.signer(name)
        nonce = int(w3.eth.get_transaction_count(signer.address, "pending"))
        hashes = []
        for index in indexes:
            call = ledger.issue(name, offset + index)
            params: Any = {"from": signer.address, "to": call.address, "data": call.calldata()}
            gas = int(w3.eth.estimate_gas(params) * GAS_MARGIN)
            tx = {**params, "gas": gas, "nonce": nonce, "chainId": chain_id, "value": 0}
            tx.update(fees.fields())
            del tx["from"]
            signed = signer.sign_transaction(tx)
            hashes.append(w3.eth.send_raw_transaction(signed.raw_transaction))
            nonce += 1
        return hashes

    start = time.perf_counter()
    with ThreadPoolExecutor(len(names)) as pool:
        batches = list(pool.map(worker, names, _split(total, len(names))))
    for batch in batches:
        for tx_hash in batch:
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.02)
            assert receipt["status"] == 1
    return time.perf_counter() - start


def run_pipeline(
    ledger: LedgerOnNode,
    keys: KeyStore,
    names: list[str],
    total: int,
    offset: int,
    database_url: str,
) -> float:
    engine = migrated_engine(database_url)
    pipeline = make_pipeline(ledger.url, engine, keys, stuck_after=60.0)
    pipeline.start()

    def worker(name: str, indexes: list[int]) -> list[str]:
        return [
            pipeline.submit(
                participant=name,
                idempotency_key=f"bench-{offset + index}",
                call=ledger.issue(name, offset + index),
            ).id
            for index in indexes
        ]

    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(len(names)) as pool:
            batches = list(pool.map(worker, names, _split(total, len(names))))
        for batch in batches:
            for op_id in batch:
                done = pipeline.wait(op_id, timeout=120)
                assert done.status == "mined", done
        return time.perf_counter() - start
    finally:
        pipeline.stop()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=200, help="operations per run")
    parser.add_argument("--levels", default="1,4,16", help="concurrency levels")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument(
        "--block-time", type=float, default=1.0, help="anvil block time in s (0: automine)"
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    console = Console()
    backend = type(KeyAPI().backend).__name__
    console.print(f"eth-keys backend: [bold]{backend}[/bold]")
    if "CoinCurve" not in backend:
        console.print("[red]eth-keys is not using coincurve: signing is ~10x slower[/red]")

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scf-bench-")))
        node = AnvilNode(tmp, block_time=args.block_time or None)
        node.start()
        stack.callback(node.stop)
        top = max(levels)
        raw_names = [f"raw{i}" for i in range(top)]
        pipe_names = [f"pipe{i}" for i in range(top)]
        keys = make_keystore(tmp / "keys", raw_names + pipe_names)
        ledger = deploy_for_participants(
            node.url, {n: keys.address(n) for n in raw_names + pipe_names}
        )
        databases: dict[str, Callable[[], str]] = {
            "sqlite": lambda: f"sqlite:///{tmp / f'bench-{time.monotonic_ns()}.sqlite3'}"
        }
        if args.postgres:
            from tests.support.postgres import postgres_server

            server = stack.enter_context(postgres_server())
            databases["postgresql"] = server.create_database

        results: list[Result] = []
        offset = 0
        for level in levels:
            for database, new_url in databases.items():
                offset += args.ops
                seconds = run_raw(ledger, keys, raw_names[:level], args.ops, offset)
                results.append(Result("raw", "-", level, args.ops, seconds))
                offset += args.ops
                url = new_url()
                seconds = run_pipeline(ledger, keys, pipe_names[:level], args.ops, offset, url)
                results.append(Result("pipeline", database, level, args.ops, seconds))
                console.print(
                    f"level {level} {database}: raw {results[-2].rate:.0f}/s, "
                    f"pipeline {results[-1].rate:.0f}/s"
                )

    mining = f"block time {args.block_time:g} s" if args.block_time else "automine"
    table = Table(
        title=f"Operations/s, pipeline vs raw web3.py sign-and-send "
        f"(anvil {mining}, {args.ops} issue operations per run)"
    )
    for column in ("threads", "database", "raw ops/s", "pipeline ops/s", "pipeline / raw"):
        table.add_column(column, justify="right")
    for raw, pipe in zip(results[::2], results[1::2], strict=True):
        ratio = pipe.rate / raw.rate
        colour = "green" if ratio >= 0.8 else "red"
        table.add_row(
            str(raw.concurrency),
            pipe.database,
            f"{raw.rate:,.0f}",
            f"{pipe.rate:,.0f}",
            f"[{colour}]{ratio:.0%}[/{colour}]",
        )
    console.print(table)


if __name__ == "__main__":
    main()
