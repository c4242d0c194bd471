"""Risk indicator latency on a PostgreSQL read model of 100,000 SYNTHETIC pieces.

    .venv/bin/python bench/risk.py [--pieces 100000] [--requests 1000] [--db URL]

The rows are synthetic: bulk-inserted straight into the projection tables (no chain, no
indexer), shaped like a consortium's book: receivables of a few core enterprises split down
to depth 3 among suppliers, financing requests to a few banks (some funded), settlements
(some after an on-chain overdue mark) and a sprinkling of circular transfers. Every
synthetic row is marked: members are named `synthetic-*`, hashes start with 0x5e. Then
`assess` (indicators + the financier's policy) runs for N requests, each in its own session
as the API would, and the three reports run once.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, insert, text
from sqlalchemy import Table as SqlTable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scfledger.db.migrate import upgrade
from scfledger.db.projections import (
    ChainEvent,
    FinancingOffer,
    FinancingRequest,
    IndexerCheckpoint,
    Member,
    Piece,
    PieceTransfer,
    Receivable,
    Settlement,
)
from scfledger.db.session import create_db_engine, session_factory
from scfledger.risk import reports
from scfledger.risk.policy import assess
from tests.support.postgres import postgres_server

DAY = 86_400
NOW = 1_800_000_000
PIECES_PER_SLOT = 10
UNIT = 100_000  # what each piece keeps, in minor units
CORES, SUPPLIERS, BANKS = 20, 2_000, 10
HEAD_BLOCK = 2_000_000


def synthetic_hash(*parts: int) -> str:
    body = "".join(f"{p:x}" for p in parts)
    return "0x5e" + body.rjust(62, "0")[-62:]


def address(kind: int, n: int) -> str:
    return "0x" + f"{kind:02x}" + f"{n:038x}"


def _table(model: type[Any]) -> SqlTable:
    return cast(SqlTable, model.__table__)


def build(
    engine: Engine,
    pieces: int,
    rng: random.Random,
    *,
    hub_share: float = 0.0,
    feed: bool = False,
) -> list[int]:
    """Inserts the synthetic book; returns the ids of the requests still open.

    `hub_share`: the share of receivables and of split receivers going to supplier 0 (a big
    supplier; 0 draws nothing extra, so the book of a seed stays the same). `feed`: also the
    feed rows the indexer would have written (ReceivableIssued, PieceSplit,
    FinancingRequested), besides the overdue marks the risk indicators read.
    """
    cores = [address(1, i) for i in range(CORES)]
    suppliers = [address(2, i) for i in range(SUPPLIERS)]
    banks = [address(3, i) for i in range(BANKS)]
    members = [
        {"address": a, "name": f"synthetic-{kind}-{i}", "legal_id_hash": synthetic_hash(k, i),
         "kyc_hash": synthetic_hash(k, i, 1), "roles": 1 << k, "status": "active",
         "admitted_block": 1, "updated_block": 1}
        for k, (kind, group) in enumerate((("core", cores), ("supplier", suppliers),
                                           ("bank", banks)), start=1)
        for i, a in enumerate(group)
    ]  # fmt: skip
    receivables: list[dict[str, Any]] = []
    piece_rows: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    settlements: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    open_requests: list[int] = []
    offers: list[dict[str, Any]] = []
    token = 0
    block = 1
    for slot in range(1, pieces // PIECES_PER_SLOT + 1):
        debtor, creditor = rng.choice(cores), rng.choice(suppliers)
        if hub_share and rng.random() < hub_share:
            creditor = suppliers[0]
        issued = NOW - rng.randint(1, 200) * DAY
        due = issued + rng.choice((60, 90, 120, 180)) * DAY
        settled = due < NOW and rng.random() < 0.8
        token += 1
        root = token
        block += rng.randint(1, 20)
        tree = [(root, creditor, 0)]
        values = {root: PIECES_PER_SLOT * UNIT}
        piece_rows.append(
            {"token_id": root, "slot": slot, "holder": creditor, "value": 0,
             "parent_token_id": None, "depth": 0, "state": "active", "created_block": block,
             "updated_block": block}
        )  # fmt: skip
        if feed:
            events.append(
                {"block_number": block, "block_hash": synthetic_hash(7, block),
                 "tx_hash": synthetic_hash(4, slot), "log_index": 0,
                 "contract": "ReceivableToken", "name": "ReceivableIssued",
                 "args": {"slot": slot, "tokenId": root, "debtor": debtor,
                          "creditor": creditor, "faceAmount": PIECES_PER_SLOT * UNIT,
                          "dueDate": due, "documentHash": synthetic_hash(5, slot)}}
            )  # fmt: skip
        # The tree first, then the values: each split carries what its receiver keeps
        # (UNIT) and what it passes on down its subtree, so every piece ends with UNIT and no
        # value goes negative (a piece split twice must have received enough).
        splits: list[tuple[int, int, str, str, int, int]] = []
        for _ in range(PIECES_PER_SLOT - 1):
            parent, holder, depth = rng.choice([t for t in tree if t[2] < 3])
            token += 1
            block += rng.randint(0, 3)
            # One slot in fifty passes value back to a member it came from: a ring.
            receiver = creditor if rng.random() < 0.02 else rng.choice(suppliers)
            if hub_share and rng.random() < hub_share:
                receiver = suppliers[0]
            tree.append((token, receiver, depth + 1))
            splits.append((token, parent, holder, receiver, depth + 1, block))
        size = {t: 1 for t, _, _ in tree}
        for child, parent, *_ in reversed(splits):  # children come after their parents
            size[parent] += size[child]
        for child, parent, holder, receiver, depth, at in splits:
            moved = UNIT * size[child]
            values[parent] -= moved
            values[child] = moved
            piece_rows.append(
                {"token_id": child, "slot": slot, "holder": receiver, "value": 0,
                 "parent_token_id": parent, "depth": depth, "state": "active",
                 "created_block": at, "updated_block": at}
            )  # fmt: skip
            transfers.append(
                {"tx_hash": synthetic_hash(9, child), "log_index": 0, "block_number": at,
                 "kind": "split", "token_id": child, "from_token_id": parent, "sender": holder,
                 "receiver": receiver, "value": moved}
            )  # fmt: skip
            if feed:
                events.append(
                    {"block_number": at, "block_hash": synthetic_hash(7, at),
                     "tx_hash": synthetic_hash(9, child), "log_index": 0,
                     "contract": "ReceivableToken", "name": "PieceSplit",
                     "args": {"slot": slot, "parentTokenId": parent, "childTokenId": child,
                              "to": receiver, "value": moved, "depth": depth}}
                )  # fmt: skip
        assert all(v == UNIT for v in values.values()), values
        for row in piece_rows[-PIECES_PER_SLOT:]:
            value = values[row["token_id"]]
            if settled:
                late = rng.random() < 0.15
                if late:
                    events.append(
                        {"block_number": block, "block_hash": synthetic_hash(7, block),
                         "tx_hash": synthetic_hash(8, row["token_id"]), "log_index": 0,
                         "contract": "ReceivableToken", "name": "PieceStateChanged",
                         "args": {"tokenId": row["token_id"], "oldState": 2, "newState": 6}}
                    )  # fmt: skip
                if value:
                    settlements.append(
                        {"token_id": row["token_id"], "slot": slot, "holder": row["holder"],
                         "status": "settled", "amount": value, "submitted_amount": value,
                         "lien_holder": None, "lien_amount": 0, "payee": None,
                         "confirm_by": issued + 40 * DAY, "deemed": False,
                         "dispute_reason": None,
                         "payment_ref": synthetic_hash(6, slot), "paid_on_chain": False,
                         "block_number": block + 100, "tx_hash": synthetic_hash(6, slot)}
                    )  # fmt: skip
                row["state"] = "settled"
            else:
                row["value"] = value
                if due < NOW and rng.random() < 0.5:
                    row["state"] = "overdue"
        face = PIECES_PER_SLOT * UNIT
        receivables.append(
            {"slot": slot, "debtor": debtor, "creditor": creditor, "face_amount": face,
             "currency": "CNY", "issue_date": issued, "due_date": due,
             "document_hash": synthetic_hash(5, slot), "root_token_id": root,
             "settled_value": face if settled else 0,
             "status": "settled" if settled else "active", "issued_block": block}
        )  # fmt: skip
        if not settled:
            for row in piece_rows[-PIECES_PER_SLOT:]:
                if row["value"] and rng.random() < 0.25:
                    request_id = len(requests) + 1
                    status = rng.choice(("requested", "funded", "funded", "repaid"))
                    advance = row["value"] // 2
                    asked = {"asked_advance": advance, "asked_repayment": advance * 103 // 100,
                             "asked_fees": 0, "asked_fund_by": NOW + DAY}  # fmt: skip
                    agreed = status != "requested"
                    requests.append(
                        {"id": request_id, "token_id": row["token_id"], "requester": row["holder"],
                         "financier": rng.choice(banks) if agreed else None, "mode": "pledge",
                         "recourse": False, "status": status, "expires_at": NOW + DAY, **asked,
                         "advance": advance if agreed else None,
                         "repayment": asked["asked_repayment"] if agreed else None,
                         "fees": 0 if agreed else None, "fund_by": NOW + DAY if agreed else None,
                         "payment_ref": None, "created_block": block, "updated_block": block}
                    )  # fmt: skip
                    offers.append(
                        {"request_id": request_id, "financier": requests[-1]["financier"]
                         or rng.choice(banks), "token_id": row["token_id"],
                         "status": "made" if agreed else "invited",
                         "advance": advance if agreed else None,
                         "repayment": asked["asked_repayment"] if agreed else None,
                         "fees": 0 if agreed else None, "fund_by": NOW + DAY if agreed else None,
                         "reason": None, "updated_block": block}
                    )  # fmt: skip
                    if status == "requested":
                        open_requests.append(request_id)
                    if feed:
                        events.append(
                            {"block_number": block, "block_hash": synthetic_hash(7, block),
                             "tx_hash": synthetic_hash(3, request_id), "log_index": 0,
                             "contract": "Financing", "name": "FinancingRequested",
                             "args": {"requestId": request_id, "tokenId": row["token_id"],
                                      "requester": row["holder"],
                                      "financiers": [offers[-1]["financier"]],
                                      "asked": {"advance": advance}}}
                        )  # fmt: skip
    factory = session_factory(engine)
    with factory() as session, session.begin():
        for model, rows in (
            (Member, members), (Receivable, receivables), (Piece, piece_rows),
            (PieceTransfer, transfers), (Settlement, settlements), (ChainEvent, events),
            (FinancingRequest, requests), (FinancingOffer, offers),
        ):  # fmt: skip
            for start in range(0, len(rows), 5_000):
                session.execute(insert(_table(model)), rows[start : start + 5_000])
        session.add(IndexerCheckpoint(id=1, block_number=block, block_hash=synthetic_hash(7, 0)))
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    marks = sum(1 for e in events if e["name"] == "PieceStateChanged")
    print(
        f"synthetic rows: {len(piece_rows)} pieces, {len(receivables)} receivables, "
        f"{len(transfers)} transfers, {len(settlements)} settlements, {marks} overdue "
        f"marks, {len(requests)} financing requests ({len(open_requests)} open)"
        + (f", {len(events)} feed events" if feed else "")
    )
    return open_requests


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    with postgres_server() as server:
        yield server.create_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--db", help="an empty PostgreSQL database (default: start one here)")
    args = parser.parse_args()
    rng = random.Random(20261125)
    with database(args.db) as url:
        upgrade(url)
        engine = create_db_engine(url)
        started = time.perf_counter()
        open_requests = build(engine, args.pieces, rng)
        print(f"built in {time.perf_counter() - started:.1f} s")
        factory = session_factory(engine)
        chosen = [rng.choice(open_requests) for _ in range(args.requests)]
        with factory() as session:  # warm the pool and the plans
            assess(session, chosen[0], now=NOW)
        latencies: list[float] = []
        decisions: dict[str, int] = {}
        for request_id in chosen:
            t0 = time.perf_counter()
            with factory() as session:
                _, assessment = assess(session, request_id, now=NOW)
            latencies.append((time.perf_counter() - t0) * 1000)
            decisions[assessment.decision.value] = decisions.get(assessment.decision.value, 0) + 1
        report_ms: dict[str, float] = {}
        with factory() as session:
            for name, run in (
                ("aging", lambda: reports.aging(session, now=NOW)),
                ("exposure", lambda: reports.exposure(session)),
                ("penetration", lambda: reports.penetration(session)),
            ):
                t0 = time.perf_counter()
                run()
                report_ms[name] = (time.perf_counter() - t0) * 1000
        engine.dispose()
    table = Table(title=f"Risk assessment, {args.pieces:,} synthetic pieces, PostgreSQL")
    for column in ("measure", "value"):
        table.add_column(column)
    table.add_row("requests assessed", f"{len(latencies):,}")
    table.add_row("p50 latency", f"{statistics.median(latencies):.2f} ms")
    table.add_row("p99 latency", f"{percentile(latencies, 0.99):.2f} ms")
    table.add_row("max latency", f"{max(latencies):.2f} ms")
    table.add_row("decisions", ", ".join(f"{k} {v}" for k, v in sorted(decisions.items())))
    for name, ms in report_ms.items():
        table.add_row(f"report {name}", f"{ms:.0f} ms")
    Console().print(table)


if __name__ == "__main__":
    main()
