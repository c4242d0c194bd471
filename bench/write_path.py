"""API request to mined vs the same node's raw pre-signed inclusion rate, one anvil run.

Run: .venv/bin/python bench/write_path.py [--ops 2000] [--accounts 4] [--postgres]
     [--mode batch,single] [--clients 16] [--pairs 1]

One gateway (served by uvicorn in this process) over anvil mining a block every second
(gas limit 10^9), a consortium of core enterprises and one supplier. The same operation on
every side: `ReceivableToken.issue` to the supplier with a document of its own.
- raw: `--ops` issue transactions of `--accounts` other core enterprises, signed before the
  clock starts (nonces counted locally, the gas of one estimate x1.25 for all), sent in
  JSON-RPC batches of 250 over one keep-alive connection; until every receipt is there.
- batch: each of `--accounts` core enterprises posts one `POST /v1/batches` of
  `--ops / --accounts` issue lines at the same time; until every line's operation is mined.
- single: `--clients` threads post `POST /v1/receivables` one operation at a time
  (the gateway's API keys of the same core enterprises); until every operation is mined.
Documents are uploaded before the clock starts, and each side starts once the gateway's
indexer has the chain's head (it indexes every side's blocks). Rates are operations from
the first request until the last is seen mined (the database polled every 20 ms; raw:
receipts).
With `--pairs N` each mode runs N pairs (raw, then the API side) on the same chain and
gateway, and the table ends with the median of the pairs' ratios: with 1 s blocks the
raw side of one pair swings by a factor of two (which block the batches land in, how fast
anvil executes them), so one pair's ratio is a weak figure.

The stage table: wall seconds spent inside each step of the gateway (functions wrapped
by this bench), summed over threads, per operation. Steps overlap each other (the sender
thread sends while a request thread signs), so the column does not add up to the wall time.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serving import served

from scfledger.chain.batch import Batcher
from scfledger.chain.calls import ContractCall
from scfledger.chain.fees import FeePolicy
from scfledger.chain.generated import Role
from scfledger.chain.node import connect
from scfledger.chain.tx import GAS_MARGIN
from scfledger.db.models import Operation, OperationStatus, utcnow
from scfledger.db.session import create_db_engine
from scfledger.keys.store import KeyStore
from tests.support.served import Served

DAY = 86_400
AMOUNT = "1000.00"
SEND_BATCH = 250
POLL = 0.02
SEND_STAGE = "eth_sendRawTransaction, JSON-RPC batch"


@dataclass(frozen=True)
class Rate:
    side: str
    operations: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.operations / self.seconds


class Stages:
    """Wall time inside wrapped functions, by stage name (thread-safe sums)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.last_end: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []
        self._inside = threading.local()

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        """Times `owner.name` as `stage`, if the code has it (the bench runs on old code)."""
        original = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if original is None:
            return

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            inside: set[str] = self._inside.__dict__.setdefault("stages", set())
            if stage in inside:  # an override calling its base: counted once, outermost
                return original(*args, **kwargs)
            inside.add(stage)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                inside.discard(stage)
                with self._lock:
                    self.seconds[stage] += spent
                    self.calls[stage] += 1
                    self.last_end[stage] = utcnow()

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def reset(self) -> None:
        with self._lock:
            self.seconds.clear()
            self.calls.clear()
            self.last_end.clear()

    def snapshot(self) -> dict[str, tuple[int, float]]:
        with self._lock:
            return {k: (self.calls[k], self.seconds[k]) for k in self.seconds}

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()


def instrument(stages: Stages) -> None:
    """The gateway's steps of a write, from request to mined."""
    from scfledger.api import audit as api_audit
    from scfledger.outbox import intake, nonces, pipeline
    from scfledger.outbox.broadcaster import Broadcaster
    from scfledger.outbox.confirmer import Confirmer
    from scfledger.outbox.store import OperationStore
    from scfledger.services import batches, receivables

    stages.wrap(batches, "create", "batch: line checks + one DB transaction (batch, lines, ops)")
    stages.wrap(receivables, "issue", "single: issue use case (checks + pipeline submit)")
    stages.wrap(api_audit, "append", "audit record append (per request)")
    stages.wrap(intake.Intake, "estimate", "simulation (eth_call at known gas), one call")
    stages.wrap(
        intake.Intake, "estimate_many", "simulation (eth_call at known gas), JSON-RPC batch"
    )
    stages.wrap(intake, "sign_transaction", "sign (eth-account, coincurve)")
    for cls in (nonces.RowLockNonces, nonces.PgNonces):
        for name in ("store_new", "store_queued", "store_queued_many"):
            stages.wrap(cls, name, f"nonce + store signed ({name}, DB incl. signing)")
    stages.wrap(FeePolicy, "fields", "fee fields (cached 2 s)")
    stages.wrap(OperationStore, "queued_ids", "loop: select queued ids (DB)")
    stages.wrap(OperationStore, "queued", "loop: load one queued op (DB)")
    stages.wrap(OperationStore, "queued_many", "loop: load queued ops (DB)")
    stages.wrap(Broadcaster, "send", "eth_sendRawTransaction, one call")
    stages.wrap(Broadcaster, "send_many", SEND_STAGE)
    stages.wrap(Confirmer, "confirm", "confirm pass (nonces, receipts, mark mined)")
    stages.wrap(pipeline.Pipeline, "process_queued", "loop: process queued (all of it)")
    stages.wrap(intake.Intake, "_lane", "lane: one account's queued ops (summed over lanes)")
    stages.wrap(Confirmer, "resolve", "confirm: resolve one op (receipt by hash)")


def stage_table(title: str, stages: dict[str, tuple[int, float]], ops: int) -> Table:
    table = Table(title=title)
    for column in ("stage", "calls", "seconds", "ms / op"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage, (calls, seconds) in sorted(stages.items(), key=lambda kv: -kv[1][1]):
        table.add_row(stage, f"{calls:,}", f"{seconds:.2f}", f"{seconds * 1000 / ops:.2f}")
    return table


# -- raw ---------------------------------------------------------------------------------


def run_raw(api: Served, keys: KeyStore, accounts: list[str], ops: int, due: int) -> Rate:
    w3 = connect(api.chain_url)
    chain_id = w3.eth.chain_id
    fees = FeePolicy(w3).fields()
    token = api.seeded.contracts["ReceivableToken"]
    supplier = api.address("supplier")

    def call() -> ContractCall:
        document = uuid.uuid4().bytes * 2
        return ContractCall(
            "ReceivableToken", token, "issue", (supplier, 100_000, b"CNY", due, document)
        )

    first = call()
    signer0 = keys.signer(accounts[0])
    params: Any = {"from": signer0.address, "to": token, "data": first.calldata()}
    gas = int(w3.eth.estimate_gas(params) * GAS_MARGIN)
    raws: list[str] = []
    hashes: list[str] = []
    per = [list(range(i, ops, len(accounts))) for i in range(len(accounts))]
    for name, indexes in zip(accounts, per, strict=True):
        signer = keys.signer(name)
        nonce = int(w3.eth.get_transaction_count(signer.address, "pending"))
        for _ in indexes:
            tx = {"to": token, "data": call().calldata(), "gas": gas, "nonce": nonce,
                  "chainId": chain_id, "value": 0, **fees}  # fmt: skip
            signed = signer.sign_transaction(tx)
            raws.append("0x" + bytes(signed.raw_transaction).hex())
            hashes.append("0x" + bytes(signed.hash).hex())
            nonce += 1
    batcher = Batcher(w3)
    started = time.perf_counter()
    for start in range(0, len(raws), SEND_BATCH):
        replies = batcher.call(
            [("eth_sendRawTransaction", [r]) for r in raws[start : start + SEND_BATCH]]
        )
        assert replies is not None
        assert all(r.error is None for r in replies), replies
    remaining = list(hashes)
    while remaining:
        replies = batcher.call([("eth_getTransactionReceipt", [h]) for h in remaining[:1000]])
        assert replies is not None
        found = {h for h, r in zip(remaining, replies, strict=False) if r.result is not None}
        for r in replies:
            if r.result is not None:
                assert int(r.result["status"], 16) == 1, r.result
        if not found:
            time.sleep(POLL)
        remaining = [h for h in remaining if h not in found]
    return Rate("raw pre-signed (JSON-RPC batches)", ops, time.perf_counter() - started)


# -- through the API ---------------------------------------------------------------------


def upload_documents(api: Served, accounts: list[str], per_account: int) -> dict[str, list[str]]:
    def upload(name: str) -> list[str]:
        with api.client(name) as client:
            out = []
            for _ in range(per_account):
                body = f"invoice {uuid.uuid4()}".encode()
                r = client.post("/v1/documents", files={"file": ("i.txt", body, "text/plain")})
                assert r.status_code == 201, r.text
                out.append("0x" + r.json()["sha256"])
            return out

    with ThreadPoolExecutor(len(accounts)) as pool:
        return dict(zip(accounts, pool.map(upload, accounts), strict=True))


def mined_count(engine: Any, participants: list[str], since: datetime) -> tuple[int, int]:
    """Operations of `participants` created since `since`: mined (or indexed), failed."""
    done = (OperationStatus.MINED, OperationStatus.INDEXED)
    with engine.connect() as conn:
        mined = conn.scalar(
            select(func.count()).select_from(Operation).where(
                Operation.participant.in_(participants), Operation.status.in_(done),
                Operation.created_at >= since,
            )
        )  # fmt: skip
        failed = conn.scalar(
            select(func.count()).select_from(Operation).where(
                Operation.participant.in_(participants),
                Operation.status == OperationStatus.FAILED,
                Operation.created_at >= since,
            )
        )  # fmt: skip
    return int(mined or 0), int(failed or 0)


def wait_mined(
    engine: Any, participants: list[str], ops: int, since: datetime, timeout: float = 600
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        mined, failed = mined_count(engine, participants, since)
        assert failed == 0, f"{failed} operations failed"
        if mined >= ops:
            return
        assert time.monotonic() < deadline, f"{mined} of {ops} mined"
        time.sleep(POLL)


def settle(api: Served, timeout: float = 120) -> None:
    """Waits until the gateway's indexer has the chain's head: a side starts with the
    gateway idle, not indexing the blocks of the side before it (which would take the
    cores from the node under the raw side, or from the gateway under the API side)."""
    gateway = api.gateway
    assert gateway is not None, "served in this process"
    head = int(api.rpc("eth_blockNumber"), 16)
    deadline = time.monotonic() + timeout
    while gateway.indexed_block < head:
        assert time.monotonic() < deadline, f"indexed {gateway.indexed_block} of {head}"
        time.sleep(POLL)


class Blocks:
    """When each new block was first seen (eth_blockNumber polled every 10 ms)."""

    def __init__(self, api: Served) -> None:
        self.w3 = connect(api.chain_url)
        self.seen: dict[int, datetime] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Blocks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            block = int(self.w3.eth.block_number)
            self.seen.setdefault(block, utcnow())
            self._stop.wait(0.01)


def timeline(
    engine: Any, participants: list[str], since: datetime, marks: dict[str, datetime],
    blocks: dict[int, datetime],
) -> list[tuple[str, float]]:  # fmt: skip
    """Seconds from the first request to each milestone of a run (from the database's
    timestamps, the bench's own marks and the blocks' first sighting)."""
    ops = Operation.__table__
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.min(ops.c.created_at), func.max(ops.c.created_at),
                func.min(ops.c.submitted_at), func.max(ops.c.submitted_at),
                func.min(ops.c.block_number), func.max(ops.c.block_number),
                func.max(ops.c.mined_at),
            ).where(ops.c.participant.in_(participants), ops.c.created_at >= since)
        ).one()  # fmt: skip
    first_block, last_block = row[4], row[5]
    points = {
        "first line's operation row built (request thread)": row[0],
        "last line's operation row built (request thread)": row[1],
        **marks,
        "first operation signed (submitted_at)": row[2],
        "last operation signed (submitted_at)": row[3],
        f"first block with one (#{first_block}) seen": blocks.get(first_block),
        f"last block with one (#{last_block}) seen": blocks.get(last_block),
        "last operation marked mined (mined_at)": row[6],
    }

    def seconds(at: datetime) -> float:
        if at.tzinfo is None:
            at = at.replace(tzinfo=since.tzinfo)
        return (at - since).total_seconds()

    return sorted(((k, seconds(v)) for k, v in points.items() if v is not None),
                  key=lambda kv: kv[1])  # fmt: skip


def run_batches(
    api: Served, engine: Any, accounts: list[str], documents: dict[str, list[str]], due: int,
    marks: dict[str, datetime],
) -> Rate:  # fmt: skip
    supplier = api.address("supplier")
    returned: list[datetime] = []

    def post(name: str) -> None:
        lines = [
            {
                "creditor": supplier,
                "face_amount": AMOUNT,
                "currency": "CNY",
                "due_date": due,
                "document_hash": doc,
            }
            for doc in documents[name]
        ]
        with api.client(name) as client:
            r = client.post(
                "/v1/batches",
                json={"kind": "receivable.issue", "lines": lines},
                headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
                timeout=600,
            )
        assert r.status_code == 202, r.text
        returned.append(utcnow())

    ops = sum(len(d) for d in documents.values())
    since = utcnow()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(accounts)) as pool:
        list(pool.map(post, accounts))
    wait_mined(engine, accounts, ops, since)
    marks["run started (first request sent)"] = since
    marks["first batch request answered (its lines queued)"] = min(returned)
    marks["last batch request answered (its lines queued)"] = max(returned)
    marks["bench saw every operation mined"] = utcnow()
    return Rate("API batches (POST /v1/batches)", ops, time.perf_counter() - started)


def run_single(
    api: Served,
    engine: Any,
    accounts: list[str],
    documents: dict[str, list[str]],
    due: int,
    clients: int,
) -> Rate:
    supplier = api.address("supplier")
    work = [(name, doc) for name in accounts for doc in documents[name]]
    per_client = [work[i::clients] for i in range(clients)]

    def post(items: list[tuple[str, str]]) -> None:
        http: dict[str, httpx.Client] = {}
        try:
            for name, doc in items:
                client = http.get(name) or http.setdefault(name, api.client(name))
                r = client.post(
                    "/v1/receivables",
                    json={
                        "creditor": supplier,
                        "face_amount": AMOUNT,
                        "currency": "CNY",
                        "due_date": due,
                        "document_hash": doc,
                    },
                    headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
                )
                assert r.status_code in (200, 201, 202), r.text
        finally:
            for client in http.values():
                client.close()

    since = utcnow()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, per_client))
    wait_mined(engine, accounts, len(work), since)
    return Rate(f"API single writes (POST /v1/receivables, {clients} clients)", len(work),
                time.perf_counter() - started)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations per side")
    parser.add_argument("--accounts", type=int, default=4, help="signing accounts per side")
    parser.add_argument("--clients", type=int, default=16, help="threads of the single mode")
    parser.add_argument(
        "--mode", default="batch,single", help="batch, single or batch,single (both)"
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--no-stages", action="store_true", help="no stage timing wrappers")
    parser.add_argument("--pairs", type=int, default=1, help="raw + API pairs per mode")
    args = parser.parse_args()
    modes = [m for m in args.mode.split(",") if m]
    if not modes or not set(modes) <= {"batch", "single"}:
        parser.error(f"--mode: batch, single or batch,single, not {args.mode!r}")
    if args.pairs < 1:
        parser.error(f"--pairs: at least 1, not {args.pairs}")
    console = Console(width=140)
    cores = [f"core{i}" for i in range(args.accounts)]
    raws = [f"raw{i}" for i in range(args.accounts)]
    members = {name: int(Role.CORE_ENTERPRISE) for name in cores + raws}
    members["supplier"] = int(Role.SUPPLIER)
    members["auditor"] = int(Role.AUDITOR)
    per_account = args.ops // args.accounts
    ops = per_account * args.accounts
    stages = Stages()
    results: list[Rate] = []
    breakdowns: list[tuple[str, dict[str, tuple[int, float]], int]] = []
    timelines: list[tuple[str, list[tuple[str, float]]]] = []
    with served("write", members, postgres=args.postgres) as (api, keys):
        # Seeded with automine; from here a block every second.
        api.rpc("evm_setAutomine", False)
        api.rpc("evm_setIntervalMining", 1)
        due = api.chain_time() + 365 * DAY
        engine = create_db_engine(api.database_url)
        if not args.no_stages:
            instrument(stages)
        for mode in modes:
            for pair in range(1, args.pairs + 1):
                settle(api)
                raw = run_raw(api, keys, raws, ops, due)
                results.append(raw)
                console.print(f"{mode} pair {pair}: {raw.side}: {raw.rate:,.0f} ops/s")
                documents = upload_documents(api, cores, per_account)
                settle(api)
                stages.reset()
                marks: dict[str, datetime] = {}
                since = utcnow()
                with Blocks(api) as blocks:
                    if mode == "batch":
                        rate = run_batches(api, engine, cores, documents, due, marks)
                    else:
                        rate = run_single(api, engine, cores, documents, due, args.clients)
                results.append(rate)
                console.print(
                    f"{mode} pair {pair}: {rate.side}: {rate.rate:,.0f} ops/s "
                    f"({rate.rate / raw.rate:.0%} of raw)"
                )
            # The timeline and the stages of each mode's last pair.
            breakdowns.append((rate.side, stages.snapshot(), ops))
            sent = stages.last_end.get(SEND_STAGE)
            if sent is not None:
                marks["last eth_sendRawTransaction batch answered"] = sent
            timelines.append((rate.side, timeline(engine, cores, since, marks, blocks.seen)))
        stages.restore()
        engine.dispose()
    db = "postgresql" if args.postgres else "sqlite"
    table = Table(title=f"Issue operations to mined, anvil 1 s blocks, {ops} per side, "
                  f"{args.accounts} accounts, {db}, {args.pairs} pair(s) per mode")  # fmt: skip
    for column in ("side", "ops", "seconds", "ops/s", "/ raw of the same pair"):
        table.add_column(column, justify="left" if column == "side" else "right")
    ratios: dict[str, list[float]] = defaultdict(list)
    for raw, api_rate in zip(results[::2], results[1::2], strict=True):
        ratios[api_rate.side].append(api_rate.rate / raw.rate)
        for row in (raw, api_rate):
            ratio = row.rate / raw.rate
            table.add_row(row.side, f"{row.operations:,}", f"{row.seconds:.2f}",
                          f"{row.rate:,.0f}", f"{ratio:.0%}")  # fmt: skip
    if args.pairs > 1:
        for side, values in ratios.items():
            spread = f"{min(values):.0%}-{max(values):.0%}"
            table.add_row(f"{side}: median of {len(values)} pairs ({spread})", "", "", "",
                          f"{statistics.median(values):.0%}")  # fmt: skip
    console.print(table)
    for side, points in timelines:
        line = Table(title=f"Timeline: {side}, last pair (seconds from the first request)")
        line.add_column("milestone")
        line.add_column("s", justify="right")
        for name, at in points:
            line.add_row(name, f"{at:.2f}")
        console.print(line)
    if not args.no_stages:
        for side, snapshot, n in breakdowns:
            console.print(stage_table(f"Gateway time per stage: {side}, last pair", snapshot, n))


if __name__ == "__main__":
    main()
