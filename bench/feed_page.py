"""A participant's events-feed page in the service, from the visibility table against the scan it
replaced, on a PostgreSQL read model of 100,000 SYNTHETIC pieces.

    .venv/bin/python bench/feed_page.py [--pieces 100000] [--calls 400] [--db URL]

The book and its feed are `bench/api_reads.py`'s (built here, the table filled by the
indexer's keeper, `services.feed_visibility.rebuild`). Each call reads one page of 100 for
one of the four participants who are not auditors, in turn, from the start or from a random
cursor, by both functions in alternating order, each in a session of its own: the load of
a shared machine falls on both alike. The baseline is `scan_page`, the feed page as
`services.visibility.list_events` read it before migration 0021 (up to 1,000 rows scanned,
the read model asked which of their pieces, requests and rounds the participant sees).
Times are of the service call only (no HTTP, no JSON of the answer).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_reads import HUB_SHARE, enrol
from bench.risk import build, database, percentile

from scfledger.db.migrate import upgrade
from scfledger.db.projections import ChainEvent
from scfledger.db.session import create_db_engine, session_factory
from scfledger.services.feed_visibility import rebuild
from scfledger.services.ledger import Actor, actor_for
from scfledger.services.visibility import (
    FEED_SCAN,
    among,
    event_view,
    list_events,
    visible_event,
)

PAGE = 100


def scan_page(session: Session, actor: Actor, *, after: int, limit: int) -> tuple[list[Any], int]:
    """The baseline: a page as `list_events` read it before the table (main at 971eab8)."""
    scan = session.execute(
        select(ChainEvent.id, ChainEvent.args)
        .where(ChainEvent.id > after)
        .order_by(ChainEvent.id)
        .limit(FEED_SCAN)
    ).all()
    view = event_view(session, actor, [args for _, args in scan])
    kept: list[int] = []
    cursor = after
    for event_id, args in scan:
        cursor = event_id
        if visible_event(view, args):
            kept.append(event_id)
            if len(kept) == limit:
                break
    if not kept:
        return [], cursor
    query = select(ChainEvent).where(among(session, ChainEvent.id, kept)).order_by(ChainEvent.id)
    return list(session.scalars(query)), cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--db", help="an empty PostgreSQL database (default: start one here)")
    args = parser.parse_args()
    with database(args.db) as url:
        upgrade(url)
        engine = create_db_engine(url)
        build(engine, args.pieces, random.Random(20261125), hub_share=HUB_SHARE, feed=True)
        with session_factory(engine)() as session, session.begin():
            rebuild(session)
        people = [p for p in enrol(engine) if p.kind != "auditor"]
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
        sessions = session_factory(engine)
        with sessions() as session:
            actors = [actor_for(session, participant=p.name, address=p.address) for p in people]
            feed = session.scalar(select(ChainEvent.id).order_by(ChainEvent.id.desc()).limit(1))
        functions = [("scan (baseline)", scan_page), ("visibility table", list_events)]
        times: dict[str, list[float]] = {name: [] for name, _ in functions}
        rng = random.Random(1)
        for call in range(args.calls):
            actor = actors[call % len(actors)]
            after = 0 if call % 2 else rng.randrange(0, feed or 1)
            for name, read in functions if call % 3 else functions[::-1]:
                with sessions() as session:
                    started = time.perf_counter()
                    read(session, actor, after=after, limit=PAGE)
                    times[name].append((time.perf_counter() - started) * 1000)
        engine.dispose()
    base = times["scan (baseline)"]
    for name, values in times.items():
        values.sort()
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        ratios = f"{p50 / percentile(base, 0.5):.2f}x / {p99 / percentile(base, 0.99):.2f}x"
        print(f"{name:18} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({ratios} the baseline)")


if __name__ == "__main__":
    main()
