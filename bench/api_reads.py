"""REST API reads on a PostgreSQL read model of 100,000 SYNTHETIC pieces, through uvicorn.

    .venv/bin/python bench/api_reads.py [--pieces 100000] [--requests 300] [--clients 1,4]
                                        [--db URL] [--by-participant] [--only TEXT]
                                        [--workers N [--listener nodelay|uvicorn]]

The book is `bench/risk.py`'s synthetic one (bulk-inserted into the projection tables of a
fresh PostgreSQL database started here; no indexer), with one big supplier (5% of the
receivables and of the split receivers) and the feed rows the indexer would have written
(ReceivableIssued, PieceSplit, FinancingRequested, overdue marks) with their visibility
table (filled by the indexer's keeper, `services.feed_visibility.rebuild`), plus a
synthetic auditor member; then VACUUM ANALYZE. `--only TEXT` reads just the endpoints whose
label contains TEXT (the baseline always). API keys are created for five participants: the
big supplier, a small SME, a core enterprise (debtor), a bank and the auditor. The real app
(`create_app(gateway, run_workers=False)`: no pipeline, no indexer loop) is served by
uvicorn in a thread over an anvil node that no read touches. Then each endpoint in turn is
read by every participant in turn from C client threads (the standard library's
`http.client`, one kept-alive connection each) in a process of their own (not competing
for the server's interpreter), for each C of `--clients`; every answer must be 200. The
client is the lightest one at hand because it shares the server's two cores: httpx cost
1.9 ms of CPU a feed request here, `http.client` 0.5 (the "client CPU" column). Latency
is from request to complete response at the client. The baseline is `GET /healthz`
through the same server in the same run, just before. Each row also gives the CPU a
request cost the server's processes and the PostgreSQL server started here
(`bench/cpu.py`, from /proc): on two cores shared with the clients, a steadier figure than
a percentile of latency to compare two versions by; and the CPU the clients' process used.

With `--workers N` the app is served as `scf serve --workers N` serves it: N uvicorn worker
processes under its supervisor, each with its own gateway (its loops off, as above), on
`scf serve`'s listening socket; `--listener uvicorn` uses uvicorn's own instead, whose
connections keep Nagle's algorithm on (uvicorn#3149).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.client import HTTPConnection
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from uvicorn.supervisors import Multiprocess

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cpu import postmaster, tree_cpu
from bench.risk import NOW, address, build, database, percentile, synthetic_hash

from scfledger.api.app import create_app, ready_to_serve
from scfledger.app.compose import Deployment, build_gateway
from scfledger.app.serve import tcp_listener
from scfledger.chain.generated import Role
from scfledger.config import Settings
from scfledger.db.migrate import upgrade
from scfledger.db.projections import (
    ChainEvent,
    FinancingRequest,
    Member,
    Piece,
    PieceTransfer,
    Receivable,
    Settlement,
)
from scfledger.db.session import create_db_engine, session_factory
from scfledger.keys.store import KeyStore
from scfledger.network.anvil import anvil_node, free_port
from scfledger.people.apikeys import create_api_key
from scfledger.services.feed_visibility import rebuild as fill_feed_visibility
from scfledger.services.ledger import Actor, actor_for
from scfledger.services.receivables import list_pieces
from scfledger.services.settlements import list_settlements
from tests.support.served import wait_ready
from tests.support.server import serving

HUB_SHARE = 0.05
AUDITOR_ADDRESS = address(4, 0)
# Contract addresses for the gateway's (idle) indexer and pipeline: nothing is deployed.
CONTRACTS = {
    "ConsortiumRegistry": "0x" + "0" * 39 + "1",
    "ReceivableToken": "0x" + "0" * 39 + "2",
    "Financing": "0x" + "0" * 39 + "3",
}


@dataclass(frozen=True)
class Participant:
    name: str
    kind: str
    address: str
    key: str
    pieces: list[int]  # visible token ids, ascending
    slots: list[int]  # slots of visible pieces
    requests: list[int]  # financing requests it can read
    settlements: list[int]  # token ids of visible settlements, ascending
    events: int  # feed size (the feed is shared; visibility is per event)


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: Callable[[Participant, random.Random], str]
    needs: str = ""  # a Participant list that must not be empty (else not read by it)

    def readers(self, people: list[Participant]) -> list[Participant]:
        return [p for p in people if not self.needs or getattr(p, self.needs)]


def _pick(items: list[int], rng: random.Random) -> int:
    return items[rng.randrange(len(items))]


def _deep(items: list[int]) -> str:
    """A cursor in the middle of what the participant sees: a deep page."""
    return str(items[len(items) // 2])


ENDPOINTS = [
    Endpoint("GET /v1/pieces (first page)", lambda _p, _r: "/v1/pieces?limit=50"),
    Endpoint(
        "GET /v1/pieces (deep cursor)",
        lambda p, _r: f"/v1/pieces?limit=50&cursor={_deep(p.pieces)}",
    ),
    Endpoint(
        "GET /v1/pieces ?holder=<self>",
        lambda p, _r: f"/v1/pieces?limit=50&holder={p.address}",
    ),
    Endpoint(
        "GET /v1/pieces ?state=active",
        lambda _p, _r: "/v1/pieces?limit=50&state=active",
    ),
    Endpoint(
        "GET /v1/pieces ?state=overdue (deep)",
        lambda p, _r: f"/v1/pieces?limit=50&state=overdue&cursor={_deep(p.pieces)}",
    ),
    Endpoint(
        "GET /v1/pieces ?slot=<slot>",
        lambda p, r: f"/v1/pieces?limit=50&slot={_pick(p.slots, r)}",
    ),
    Endpoint(
        "GET /v1/pieces ?due_from&due_to",
        lambda _p, _r: f"/v1/pieces?limit=50&due_from={NOW}&due_to={NOW + 90 * 86_400}",
    ),
    Endpoint("GET /v1/pieces/{id}", lambda p, r: f"/v1/pieces/{_pick(p.pieces, r)}"),
    Endpoint(
        "GET /v1/pieces/{id}/transfers",
        lambda p, r: f"/v1/pieces/{_pick(p.pieces, r)}/transfers",
    ),
    Endpoint(
        "GET /v1/pieces/{id}/lineage",
        lambda p, r: f"/v1/pieces/{_pick(p.pieces, r)}/lineage",
    ),
    Endpoint(
        "GET /v1/pieces/{id}/evidence",
        lambda p, r: f"/v1/pieces/{_pick(p.pieces, r)}/evidence",
    ),
    Endpoint(
        "GET /v1/financing-requests (first page)",
        lambda _p, _r: "/v1/financing-requests?limit=50",
        "requests",
    ),
    Endpoint(
        "GET /v1/financing-requests/{id}",
        lambda p, r: f"/v1/financing-requests/{_pick(p.requests, r)}",
        "requests",
    ),
    Endpoint("GET /v1/settlements (first page)", lambda _p, _r: "/v1/settlements?limit=50"),
    Endpoint(
        "GET /v1/settlements (deep cursor)",
        lambda p, _r: f"/v1/settlements?limit=50&cursor={_deep(p.settlements)}",
        "settlements",
    ),
    Endpoint("GET /v1/events (first page)", lambda _p, _r: "/v1/events?limit=100"),
    Endpoint(
        "GET /v1/events (deep cursor)", lambda p, _r: f"/v1/events?limit=100&after={p.events // 2}"
    ),
    Endpoint("GET /v1/members", lambda _p, _r: "/v1/members"),
]
BASELINE = Endpoint("GET /healthz (baseline)", lambda _p, _r: "/healthz")


def _piece_ids(session: Session, actor: Actor, after: int | None) -> list[int]:
    return [p.token_id for p, _ in list_pieces(session, actor, after=after, limit=5_000)]


def _settlement_ids(session: Session, actor: Actor, after: int | None) -> list[int]:
    return [s.token_id for s in list_settlements(session, actor, after=after, limit=5_000)]


def _everything(session_rows: Callable[[int | None], list[int]]) -> list[int]:
    """Walks a keyset-paged listing to its end."""
    found: list[int] = []
    after: int | None = None
    while page := session_rows(after):
        found.extend(page)
        after = page[-1]
    return found


def participants(engine: Engine) -> list[tuple[str, str, str]]:
    """(name, kind, address): a big supplier, a small SME, a core enterprise, a bank and the
    auditor. Synthetic addresses are lower case: only all-digit ones are their own checksum
    form, as the API's lookups expect."""
    asked = select(FinancingRequest.id).where(FinancingRequest.requester == Piece.holder)
    paid = select(Settlement.token_id).where(Settlement.holder == Piece.holder)
    with engine.connect() as connection:
        held = connection.execute(
            select(Piece.holder, func.count())
            .where(Piece.holder.like("0x02%"), Piece.holder != address(2, 0))
            .where(asked.exists(), paid.exists())
            .group_by(Piece.holder)
            .order_by(func.count(), Piece.holder)
        ).all()
    # One that has asked for financing and been paid, so that every endpoint has something.
    sme = next(a for a, _ in held if a[2:].isdigit())
    return [
        ("hub", "big supplier", address(2, 0)),
        ("sme", "small SME", sme),
        ("core", "core enterprise", address(1, 0)),
        ("bank", "bank", address(3, 0)),
        ("auditor", "auditor", AUDITOR_ADDRESS),
    ]


def enrol(engine: Engine) -> list[Participant]:
    """Adds the auditor member and an API key per participant; lists what each can see."""
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        session.execute(
            insert(Member),
            [
                {"address": AUDITOR_ADDRESS, "name": "synthetic-auditor-0",
                 "legal_id_hash": synthetic_hash(4, 0), "kyc_hash": synthetic_hash(4, 0, 1),
                 "roles": Role.AUDITOR, "status": "active", "admitted_block": 1, "updated_block": 1}
            ],
        )  # fmt: skip
    enrolled = []
    with sessions() as session:
        events = session.scalar(select(func.max(ChainEvent.id))) or 0
    for name, kind, member in participants(engine):
        with sessions() as session, session.begin():
            key = create_api_key(session=session, participant=name, address=member)
        with sessions() as session:
            actor: Actor = actor_for(session, participant=name, address=member)
            assert actor.roles, f"{name} {member} is not a member"
            pieces = _everything(partial(_piece_ids, session, actor))
            settled = _everything(partial(_settlement_ids, session, actor))
            slots = sorted(
                set(session.scalars(select(Piece.slot).where(Piece.token_id.in_(pieces[:2000]))))
            )
            query = select(FinancingRequest.id).order_by(FinancingRequest.id).limit(5_000)
            if not actor.is_auditor:
                query = query.where(
                    (FinancingRequest.requester == member) | (FinancingRequest.financier == member)
                )
            requests = list(session.scalars(query))
        assert pieces, f"{name} sees no piece"
        enrolled.append(
            Participant(name, kind, member, key, pieces, slots, requests, settled, events)
        )
    return enrolled


VALUE_DECIMALS = 2  # the synthetic book's amounts are minor units (fen, cents)


@dataclass(frozen=True)
class Server:
    url: str
    cpu: Callable[[], float]  # seconds of CPU the server's processes have used so far


@contextmanager
def serve(engine: Engine, directory: Path) -> Iterator[Server]:
    """The real app over the database, its gateway's web3 on an idle anvil node; its CPU
    is this process's (the clients and the node are processes of their own)."""
    with anvil_node() as chain_url:
        gateway = build_gateway(
            Settings(chain_url=chain_url),
            Deployment(CONTRACTS, start_block=0),
            engine=engine,
            keys=KeyStore(directory / "keys", "bench-not-secret", scrypt_n=2**10),
        )
        # No contract answers on the idle node: the synthetic book's value decimals.
        gateway.money.read_value_decimals = lambda: VALUE_DECIMALS
        app = create_app(gateway, run_workers=False)
        ready_to_serve(app)  # as `scf serve` does before serving
        with serving(app) as url:
            yield Server(url, lambda: tree_cpu(os.getpid(), descendants=False))


WORKER_ENV = "BENCH_API_READS_SERVER"  # JSON: what each worker process serves


def worker_app() -> FastAPI:
    """One worker process's app (`--workers N`): the same gateway as `serve` builds."""
    spec = json.loads(os.environ[WORKER_ENV])
    gateway = build_gateway(
        Settings(chain_url=spec["chain"], database_url=spec["database"]),
        Deployment(CONTRACTS, start_block=0),
        keys=KeyStore(Path(spec["keys"]), "bench-not-secret", scrypt_n=2**10),
    )
    gateway.money.read_value_decimals = lambda: VALUE_DECIMALS  # as `serve`
    app = create_app(gateway, run_workers=False)
    ready_to_serve(app)
    return app


def run_workers(port: int, workers: int, listener: str) -> None:
    """The server process of `--workers N`: uvicorn's supervisor over `listener`'s socket."""
    config = uvicorn.Config(
        "bench.api_reads:worker_app", factory=True, workers=workers, host="127.0.0.1",
        port=port, log_level="warning",
    )  # fmt: skip
    sock = tcp_listener(config.host, port) if listener == "nodelay" else config.bind_socket()
    Multiprocess(config, sockets=[sock]).run()


@contextmanager
def serve_workers(
    database_url: str, directory: Path, workers: int, listener: str
) -> Iterator[Server]:
    """The real app in `workers` processes (as `scf serve --workers N`), on the listener
    `scf serve` uses (`nodelay`) or on uvicorn's own (`uvicorn`, Nagle left on)."""
    with anvil_node() as chain_url:
        port = free_port()
        spec = {"chain": chain_url, "database": database_url, "keys": str(directory / "keys")}
        root = Path(__file__).resolve().parents[1]
        server = subprocess.Popen(
            [sys.executable, "-c",
             f"from bench.api_reads import run_workers; run_workers({port}, {workers}, "
             f"{listener!r})"],
            # The caller's PYTHONPATH after the bench's root: a worktree's `src` is served.
            env={**os.environ, WORKER_ENV: json.dumps(spec),
                 "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])},
            cwd=root,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            # /healthz: /readyz would wait for the indexer these workers do not run.
            wait_ready(url, server, 60, path="/healthz")
            yield Server(url, partial(tree_cpu, server.pid))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)


@dataclass
class Result:
    endpoint: str
    clients: int
    latencies: dict[str, list[float]]  # participant name -> ms
    server_cpu: float | None = None  # ms of the server's CPU per request
    database_cpu: float | None = None  # ms of PostgreSQL's CPU per request
    client_cpu: float | None = None  # ms of the clients' CPU per request

    @property
    def all(self) -> list[float]:
        return [ms for batch in self.latencies.values() for ms in batch]


ALL = [BASELINE, *ENDPOINTS]
_client: tuple[str, list[Participant]] = ("", [])  # set in the client process


def _start_client(url: str, people: list[Participant]) -> None:
    global _client  # the client process's state
    _client = (url, people)


def measure(endpoint_index: int, requests: int, clients: int) -> Result:
    """In the client process: `requests` reads of ALL[endpoint_index] from `clients`
    threads, participants taken in turn (those who can see something the endpoint names)."""
    url, everyone = _client
    endpoint = ALL[endpoint_index]
    people = endpoint.readers(everyone)

    server = urlsplit(url)

    def work(worker: int) -> list[tuple[str, float]]:
        rng = random.Random(worker)
        samples = []
        http = HTTPConnection(server.hostname or "127.0.0.1", server.port, timeout=60)
        try:
            for n in range(worker, requests, clients):
                person = people[n % len(people)]
                path = endpoint.path(person, rng)
                headers = {"Authorization": f"Bearer {person.key}"}
                started = time.perf_counter()
                http.request("GET", path, headers=headers)
                response = http.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status == 200, (path, person.name, body[:300])
                samples.append((person.name, elapsed))
        finally:
            http.close()
        return samples

    started = time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        batches = list(pool.map(work, range(clients)))
    client_cpu = (time.process_time() - started) * 1000 / requests
    latencies: dict[str, list[float]] = {p.name: [] for p in people}
    for batch in batches:
        for name, ms in batch:
            latencies[name].append(ms)
    return Result(endpoint.name, clients, latencies, client_cpu=client_cpu)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            model.__tablename__: int(
                connection.execute(select(func.count()).select_from(model)).scalar_one()
            )
            for model in (
                Piece, Receivable, PieceTransfer, Settlement, FinancingRequest, ChainEvent, Member
            )
        }  # fmt: skip


def _cpu(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.2f}"


def report(console: Console, results: list[Result], baseline: Result, by_participant: bool) -> None:
    base_p50, base_p99 = statistics.median(baseline.all), percentile(baseline.all, 0.99)
    clients = baseline.clients
    table = Table(title=f"REST API reads, {clients} concurrent client(s), PostgreSQL")
    for column in ("endpoint", "count", "p50 ms", "p99 ms", "mean ms", "max ms", "p50 / base",
                   "p99 / base", "slowest p99", "server CPU", "db CPU", "client CPU"):  # fmt: skip
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for result in [baseline, *results]:
        samples = result.all
        p99 = percentile(samples, 0.99)
        worst = max(result.latencies, key=lambda n: percentile(result.latencies[n], 0.99))
        table.add_row(
            result.endpoint,
            f"{len(samples):,}",
            f"{statistics.median(samples):.1f}",
            f"{p99:.1f}",
            f"{statistics.fmean(samples):.1f}",
            f"{max(samples):.1f}",
            f"{statistics.median(samples) / base_p50:.1f}x",
            f"{p99 / base_p99:.1f}x",
            f"{worst} {percentile(result.latencies[worst], 0.99):.1f}",
            _cpu(result.server_cpu),
            _cpu(result.database_cpu),
            _cpu(result.client_cpu),
        )
    console.print(table)
    console.print(
        "server CPU, db CPU, client CPU: ms of CPU per request used by the server's processes, "
        "by PostgreSQL's (user and system, from /proc) and by the clients' process, while the "
        "clients read"
    )
    if not by_participant:
        return
    detail = Table(title=f"p99 ms by participant, {clients} client(s)")
    names = list(baseline.latencies)
    detail.add_column("endpoint")
    for name in names:
        detail.add_column(name, justify="right")
    for result in results:
        detail.add_row(
            result.endpoint,
            *(
                f"{percentile(result.latencies[n], 0.99):.1f}" if n in result.latencies else "-"
                for n in names
            ),
        )
    console.print(detail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="per endpoint and level")
    parser.add_argument("--clients", default="1,4", help="concurrency levels, comma-separated")
    parser.add_argument("--db", help="an empty PostgreSQL database (default: start one here)")
    parser.add_argument("--by-participant", action="store_true", help="p99 per participant")
    parser.add_argument("--only", help="just the endpoints whose label contains this text")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument(
        "--listener", choices=("nodelay", "uvicorn"), default="nodelay",
        help="with --workers: scf serve's listening socket, or uvicorn's own",
    )  # fmt: skip
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    console = Console(width=140)
    with database(args.db) as url, tempfile.TemporaryDirectory(prefix="scf-reads-") as tmp:
        upgrade(url)
        engine = create_db_engine(url)
        started = time.perf_counter()
        build(engine, args.pieces, random.Random(20261125), hub_share=HUB_SHARE, feed=True)
        filling = time.perf_counter()
        with session_factory(engine)() as session, session.begin():
            fill_feed_visibility(session)  # as the indexer keeps it
        print(f"feed visibility table filled in {time.perf_counter() - filling:.1f} s")
        people = enrol(engine)
        with engine.connect() as connection:  # a settled table: no autovacuum mid-run
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.execute(text("VACUUM ANALYZE"))
        print(f"built in {time.perf_counter() - started:.1f} s (now = {NOW})")
        counts = row_counts(engine)
        serving = (
            serve(engine, Path(tmp))
            if args.workers == 1
            else serve_workers(url, Path(tmp), args.workers, args.listener)
        )
        with (
            serving as server,
            # The clients run in a process of their own: not in the server's interpreter.
            ProcessPoolExecutor(
                1, get_context("spawn"), initializer=_start_client, initargs=(server.url, people)
            ) as client,
        ):
            database_server = postmaster(make_url(url).port or 5432)

            def database_cpu() -> float:
                return 0.0 if database_server is None else tree_cpu(database_server)

            def run(index: int, requests: int, clients: int) -> Result:
                """The reads, and the CPU they cost the server and PostgreSQL per request."""
                before = (server.cpu(), database_cpu())
                result = client.submit(measure, index, requests, clients).result()
                result.server_cpu = (server.cpu() - before[0]) * 1000 / requests
                if database_server is not None:
                    result.database_cpu = (database_cpu() - before[1]) * 1000 / requests
                return result

            chosen = [
                i for i in range(1, len(ALL)) if args.only is None or args.only in ALL[i].name
            ]
            for index in [0, *chosen]:  # warm the pool, the plans and the caches
                run(index, 2 * len(people), 1)
            runs = []
            for clients in levels:
                baseline = run(0, args.requests, clients)
                results = [run(i, args.requests, clients) for i in chosen]
                runs.append((baseline, results))
        engine.dispose()
    console.print("rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    console.print(
        "participants: "
        + "; ".join(
            f"{p.name} ({p.kind}) sees {len(p.pieces):,} pieces, {len(p.settlements):,} "
            f"settlements, {len(p.requests):,} requests"
            for p in people
        )
    )
    if args.workers > 1:
        console.print(f"served by {args.workers} worker processes, {args.listener} listener")
    for baseline, results in runs:
        report(console, results, baseline, args.by_participant)


if __name__ == "__main__":
    main()
