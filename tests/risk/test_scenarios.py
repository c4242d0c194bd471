"""Built fraud and credit scenarios on anvil, indexed into SQLite and PostgreSQL: each request
gets its exact indicators, decision and reasons; the reports give exact numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    column,
    insert,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause
from typer.testing import CliRunner

from scfledger.db.session import session_factory
from scfledger.risk import reports
from scfledger.risk.cli import app as report_app
from scfledger.risk.indicators import (
    CircularTransfers,
    DebtorRecord,
    FinancierExposure,
    RequesterHistory,
    SlotVelocity,
    compute_indicators,
)
from scfledger.risk.policy import Decision, Policy, ReasonCode, assess, evaluate, set_policy
from tests.risk.conftest import BURST_SPLITS, Scenarios

pytestmark = pytest.mark.integration

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def session_of(engine: Engine) -> Session:
    return session_factory(engine)()


def test_fraud_ring_cycling_a_piece_is_declined_for_circular_transfers(
    scenarios: Scenarios, indexed: Engine
) -> None:
    c = scenarios.c
    with session_of(indexed) as session:
        indicators, assessment = assess(session, scenarios.ring, now=c.now())
    assert indicators.circular == CircularTransfers(count=1, value=600_000, members=(c.supplier1,))
    assert indicators.velocity == SlotVelocity(
        transfers_total=3, transfers_in_window=3, window_blocks=7_200, transfers_per_day=3.0
    )
    assert assessment.decision is Decision.DECLINE
    assert assessment.codes == ["circular_transfers"]
    assert assessment.reasons[0].message == (
        "value of the receivable returned 1 times to members it had passed through"
        f" (6000.00 CNY in all; {c.supplier1})"
    )


def test_burst_of_splits_is_referred_for_transfer_velocity(
    scenarios: Scenarios, indexed: Engine
) -> None:
    c = scenarios.c
    with session_of(indexed) as session:
        indicators, assessment = assess(session, scenarios.burst, now=c.now())
    assert indicators.velocity == SlotVelocity(
        transfers_total=BURST_SPLITS,
        transfers_in_window=BURST_SPLITS,
        window_blocks=7_200,
        transfers_per_day=12.0,
    )
    assert indicators.circular == CircularTransfers(count=0, value=0, members=())
    assert (indicators.request.piece_value, indicators.request.advance_bps) == (880_000, 5_000)
    assert assessment.decision is Decision.REFER
    assert assessment.codes == ["transfer_velocity_high"]


def test_velocity_counts_only_transfers_inside_the_window(
    scenarios: Scenarios, indexed: Engine
) -> None:
    c = scenarios.c
    with session_of(indexed) as session:
        indicators = compute_indicators(session, scenarios.burst, now=c.now(), window_blocks=1)
    assert (indicators.velocity.transfers_total, indicators.velocity.transfers_in_window) == (
        BURST_SPLITS,
        0,
    )
    assert evaluate(indicators, Policy()).decision is Decision.APPROVE


def test_debtor_with_overdue_history_is_declined_with_its_record(
    scenarios: Scenarios, indexed: Engine
) -> None:
    c = scenarios.c
    with session_of(indexed) as session:
        indicators, assessment = assess(session, scenarios.late_debtor, now=c.now())
    assert indicators.debtor == DebtorRecord(
        debtor=c.core2,
        settled_pieces=1,
        settled_late=1,
        on_time_bps=0,
        open_overdue_value=200_000,
        open_overdue_pieces=1,
        defaulted_value=0,
    )
    assert assessment.decision is Decision.DECLINE
    assert assessment.codes == ["debtor_open_overdue", "debtor_on_time_rate_low"]
    assert [r.outcome for r in assessment.reasons] == [Decision.DECLINE, Decision.REFER]


def test_clean_request_is_approved_with_no_reasons(scenarios: Scenarios, indexed: Engine) -> None:
    c = scenarios.c
    now = c.now()
    with session_of(indexed) as session:
        indicators, assessment = assess(session, scenarios.clean, now=now)
    assert assessment.decision is Decision.APPROVE
    assert assessment.reasons == ()
    assert indicators.exposure == FinancierExposure(
        financier=c.bank,
        to_debtor=200_000,
        total=200_000,
        to_debtor_after=400_000,
        total_after=400_000,
        concentration_bps=10_000,
    )
    assert indicators.requester == RequesterHistory(
        requester=c.supplier2,
        receivables_from_debtor=0,
        pieces_received_from_debtor=2,  # the clean split and the ring's passage
        value_received_from_debtor=1_000_000,
        pieces_received_total=2,
        prior_requests=0,
        prior_funded=0,
        prior_recourse_claims=0,
    )
    assert (indicators.piece.depth, indicators.piece.state) == (1, "financing")
    assert indicators.piece.days_to_maturity == (scenarios.clean_due - now) // 86_400
    assert indicators.debtor.on_time_bps is None
    assert indicators.duplicate_document_attempts == 0


def test_financier_policy_is_stored_and_applied(scenarios: Scenarios, indexed: Engine) -> None:
    c = scenarios.c
    factory = session_factory(indexed)
    with factory() as session, session.begin():
        set_policy(session, c.bank, Policy(max_exposure_per_debtor=300_000, auto_decide=True))
    try:
        with factory() as session:
            _, assessment = assess(session, scenarios.clean, now=c.now())
        assert assessment.decision is Decision.REFER
        assert assessment.codes == [ReasonCode.DEBTOR_EXPOSURE_ABOVE_LIMIT.value]
        assert assessment.auto_decide is True
        assert assessment.reasons[0].message == (
            "exposure to the debtor would be 4000.00 CNY (limit 3000.00 CNY)"
        )
    finally:
        with factory() as session, session.begin():
            set_policy(session, c.bank, Policy())


def test_duplicate_document_attempts_of_the_debtor_are_counted(
    scenarios: Scenarios, indexed: Engine
) -> None:
    """The gateway records an issuance that reverted with DuplicateDocument; the debtor's
    next request is referred."""
    c = scenarios.c
    operations = table("operations", *_operation_columns())
    with session_of(indexed) as session, session.begin():
        session.execute(
            insert(operations).values(
                id="00000000-0000-0000-0000-000000000001",
                participant="core2",
                idempotency_key="dup-1",
                request_hash="0" * 64,
                kind="issue",
                arguments={},
                sender=c.core2,
                data=b"",
                status="failed",
                error_name="DuplicateDocument",
                attempts=1,
                created_at=_epoch(),
                updated_at=_epoch(),
            )
        )
        _, assessment = assess(session, scenarios.late_debtor, now=c.now())
        session.rollback()
    assert assessment.codes == [
        "debtor_open_overdue",
        "debtor_on_time_rate_low",
        "duplicate_document_attempts",
    ]


def _operation_columns() -> list[ColumnClause[Any]]:
    """The columns of the gateway's operations table (migration 0001) that are set here."""
    text_columns = "id participant idempotency_key request_hash kind sender status error_name"
    return [
        *(column(name, String) for name in text_columns.split()),
        column("arguments", JSON),
        column("data", LargeBinary),
        column("attempts", Integer),
        column("created_at", DateTime(timezone=True)),
        column("updated_at", DateTime(timezone=True)),
    ]


def _epoch() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


def test_reports_give_the_scenarios_numbers_as_csv_and_png(
    scenarios: Scenarios, indexed: Engine, tmp_path: Path
) -> None:
    c = scenarios.c
    url = indexed.url.render_as_string(hide_password=False)
    runner = CliRunner()
    paths = {name: (tmp_path / f"{name}.csv", tmp_path / f"{name}.png") for name in
             ("aging", "exposure", "penetration")}  # fmt: skip
    for name, (csv_path, png_path) in paths.items():
        extra = ["--now", str(c.now())] if name == "aging" else []
        result = runner.invoke(
            report_app, [name, "--db", url, "--csv", str(csv_path), "--png", str(png_path), *extra]
        )
        assert result.exit_code == 0, result.output
        png = png_path.read_bytes()
        assert png.startswith(PNG_HEADER)
        assert len(png) > 1_000
    assert paths["aging"][0].read_text() == (
        "bucket,currency,pieces,value\n"
        "not_due,CNY,18,35000.00\n"
        "1-30,CNY,1,2000.00\n"
        "31-60,CNY,0,0.00\n"
        "61-90,CNY,0,0.00\n"
        "over_90,CNY,0,0.00\n"
    )
    assert paths["exposure"][0].read_text() == (
        "debtor,debtor_name,financier,financier_name,currency,requests,value\n"
        f"{c.core},core,{c.bank},bank,CNY,1,2000.00\n"
    )
    assert paths["penetration"][0].read_text() == (
        "core,core_name,currency,depth,value,members\n"
        f"{c.core2},core2,CNY,0,10000.00,1\n"
        f"{c.core},core,CNY,0,30000.00,3\n"
        f"{c.core},core,CNY,1,5200.00,2\n"
    )
    with session_of(indexed) as session:
        assert reports.aging(session, now=c.now())[1] == reports.AgingRow(
            "1-30", "CNY", 1, Decimal("2000.00")
        )
