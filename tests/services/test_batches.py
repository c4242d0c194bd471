"""ERP batches in process (services.batches over eth-tester and SQLite): each line gets the
problem a single request with its arguments gets, and the lines' checks read the database
a constant number of times whatever the batch's size."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, insert, select

from scfledger.api.batch_input import problem_of
from scfledger.db.gateway_tables import Document
from scfledger.db.models import Operation
from scfledger.db.session import transaction
from scfledger.exceptions import ScfError
from scfledger.services import batches, receivables
from scfledger.services.batches import LineIn
from scfledger.services.ledger import Idempotency
from tests.support.services import Services

KIND = "receivable.issue"


# Any date ahead of the test chain's clock: the lines are checked and queued, not mined.
DUE = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())


def issue(services: Services, document_hash: str, creditor: str | None = None) -> dict[str, Any]:
    """An issue's arguments as the API edge hands them to the use case."""
    return {
        "creditor": creditor or services.address("supplier1"),
        "face_amount": 100_00,
        "currency": "CNY",
        "due_date": DUE,
        "document_hash": document_hash,
    }


def post(services: Services, lines: list[LineIn], key: str | None = None) -> int:
    return batches.create(
        ledger=services.ledger,
        actor=services.actor("core"),
        key=key or f"erp-{uuid.uuid4()}",
        request_hash=str(uuid.uuid4()),
        kind=KIND,
        lines=lines,
        problem_of=problem_of,
        now=datetime.now(UTC),
    )


def single(services: Services, arguments: dict[str, Any]) -> dict[str, Any] | None:
    """The problem `POST /v1/receivables` with these arguments gets (None: it is queued)."""
    key = f"single-{uuid.uuid4()}"
    try:
        receivables.issue(
            ledger=services.ledger,
            actor=services.actor("core"),
            idempotency=Idempotency(key=key, request_hash=key),
            **arguments,
        )
    except ScfError as exc:
        return problem_of(exc)
    return None


def test_each_line_gets_the_problem_its_single_request_gets(services: Services) -> None:
    own = services.document("core", "invoice 1")
    other = services.document("core", "invoice 2")
    theirs = services.document("supplier1", "the supplier's own delivery note")
    services.document("core", "invoice by reference")  # its hash is the text's SHA-256
    edge: dict[str, Any] = {
        "type": "https://errors.scfledger.dev/amount-too-precise",
        "status": 422,
    }
    arguments: list[dict[str, Any] | None] = [
        issue(services, own),
        issue(services, "0x" + "ab" * 32),  # never uploaded
        issue(services, theirs),  # uploaded by someone else only
        issue(services, "0x1234"),  # not 32 bytes
        issue(services, other, creditor="not-an-address"),
        issue(services, other.upper().replace("0X", "0x")),  # upper-case hex: the same bytes
        issue(services, "invoice by reference"),  # a reference: its SHA-256, uploaded
        issue(services, "a reference never uploaded"),
        issue(services, "0x12", creditor="not-an-address"),  # two faults: the first one's
        None,  # refused at the API edge: its problem stands as it was
        issue(services, own),  # the same document again: the contract's to refuse
    ]
    lines = [
        LineIn(line=n, arguments=a, request_hash=f"h{n}")
        if a is not None
        else LineIn(line=n, problem=edge)
        for n, a in enumerate(arguments, start=1)
    ]
    batch_id = post(services, lines)

    with services.session() as session:
        results = batches.lines(session, services.actor("core"), batch_id)
    assert [r.line for r in results] == list(range(1, len(arguments) + 1))
    expected = [edge if a is None else single(services, a) for a in arguments]
    assert [r.problem for r in results] == expected
    types = [None if p is None else p["type"].rsplit("/", 1)[-1] for p in expected]
    assert types == [
        None,
        "document-not-uploaded",
        "document-not-uploaded",
        "invalid-input",
        "invalid-input",
        None,
        None,
        "document-not-uploaded",
        "invalid-input",
        "amount-too-precise",
        None,
    ]
    two_faults = expected[8]
    assert two_faults is not None
    assert "document_hash" in two_faults["detail"], two_faults
    # Every good line is its own queued operation; no refused line is.
    queued = [r for r in results if r.operation is not None]
    assert [r.line for r in queued] == [1, 6, 7, 11]
    assert {r.status for r in queued} == {"queued"}
    assert len({r.operation.id for r in queued if r.operation}) == 4
    assert all(r.status == "rejected" for r in results if r.problem is not None)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """The SQL statements run meanwhile (an executemany counts once)."""
    seen: list[str] = []
    engine = services.ledger.sessions.kw["bind"]

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def uploaded(services: Services, name: str, count: int) -> list[str]:
    """`count` documents recorded as `name`'s uploads at once (their hashes, 0x-hex)."""
    digests = [hashlib.sha256(f"{uuid.uuid4()}".encode()).hexdigest() for _ in range(count)]
    with transaction(services.ledger.sessions) as session:
        session.execute(
            insert(Document),
            [
                {"sha256": d, "uploader": name, "content_type": "text/plain", "size": 1}
                for d in digests
            ],
        )
    return ["0x" + d for d in digests]


def test_a_batch_s_checks_run_as_many_statements_for_3_lines_as_for_900(
    services: Services,
) -> None:
    def run(size: int) -> list[str]:
        documents = uploaded(services, "core", size - 1)
        lines = [
            LineIn(line=n, arguments=issue(services, d), request_hash=f"h{n}")
            for n, d in enumerate(["0x" + "cd" * 32, *documents], start=1)  # one not uploaded
        ]
        with statements(services) as seen:
            post(services, lines)
        return seen

    small, large = run(3), run(900)
    assert small == large, (small, large)
    assert small.count("SELECT") <= 6, small
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(Operation)) == 2 + 899


def test_a_batch_of_the_most_lines_reads_in_the_same_statements(services: Services) -> None:
    """MAX_LINES lines (each one's key and document in one IN list: within SQLite's bound
    parameters): no more reads than a batch of 2, and every line is queued."""

    def reads(size: int) -> list[str]:
        lines = [
            LineIn(line=n, arguments=issue(services, d), request_hash=f"h{n}")
            for n, d in enumerate(uploaded(services, "core", size), start=1)
        ]
        with statements(services) as seen:
            post(services, lines)
        return [s for s in seen if s == "SELECT"]

    assert reads(2) == reads(batches.MAX_LINES)
    with services.session() as session:
        queued = session.scalar(select(func.count()).select_from(Operation))
    assert queued == 2 + batches.MAX_LINES
