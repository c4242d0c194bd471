"""The evaluator on hand-made indicators: every rule, its outcome and its reason."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from scfledger.risk.indicators import (
    CircularTransfers,
    DebtorRecord,
    FinancierExposure,
    PieceProfile,
    RequesterHistory,
    RequestFacts,
    RiskIndicators,
    SlotVelocity,
)
from scfledger.risk.policy import AdvanceBand, Decision, Policy, ReasonCode, evaluate

DEBTOR, BANK, SME = "0xD", "0xB", "0xS"


def clean(**changes: Any) -> RiskIndicators:
    """Indicators of a request no default rule objects to; `changes` replace whole parts."""
    indicators = RiskIndicators(
        request=RequestFacts(
            request_id=1,
            status="requested",
            token_id=2,
            slot=1,
            requester=SME,
            financier=BANK,
            debtor=DEBTOR,
            creditor=SME,
            terms="asked",
            currency="CNY",
            amount=500,
            repayment=515,
            fees=0,
            piece_value=1_000,
            face_amount=1_000,
            advance_bps=5_000,
        ),
        debtor=DebtorRecord(DEBTOR, 10, 0, 10_000, 0, 0, 0),
        exposure=FinancierExposure(BANK, 0, 1_000, 500, 1_500, 3_333),
        requester=RequesterHistory(SME, 1, 0, 0, 0, 0, 0, 0),
        piece=PieceProfile(
            depth=1, state="financing", age_blocks=5, receivable_age_days=3, days_to_maturity=60
        ),
        velocity=SlotVelocity(2, 2, 7_200, 0.67),
        circular=CircularTransfers(0, 0, ()),
        duplicate_document_attempts=0,
        head_block=100,
        now=1_800_000_000,
    )
    return replace(indicators, **changes)


def test_clean_indicators_are_approved_with_no_reasons() -> None:
    assessment = evaluate(clean(), Policy())
    assert (assessment.decision, assessment.reasons, assessment.auto_decide) == (
        Decision.APPROVE,
        (),
        False,
    )


@pytest.mark.parametrize(
    ("changes", "decision", "code", "message"),
    [
        (
            {"debtor": DebtorRecord(DEBTOR, 10, 0, 10_000, 700, 2, 0)},
            Decision.DECLINE,
            ReasonCode.DEBTOR_OPEN_OVERDUE,
            "the debtor has 7.00 CNY overdue in 2 pieces (limit 0.00 CNY)",
        ),
        (
            {"debtor": DebtorRecord(DEBTOR, 10, 3, 7_000, 0, 0, 0)},
            Decision.REFER,
            ReasonCode.DEBTOR_ON_TIME_RATE_LOW,
            "the debtor settled 70.00% of 10 pieces on time (minimum 80.00%)",
        ),
        (
            {"piece": PieceProfile(5, "financing", 5, 3, 60)},
            Decision.REFER,
            ReasonCode.DEPTH_ABOVE_LIMIT,
            "the piece is at tier depth 5 (limit 4)",
        ),
        (
            {"piece": PieceProfile(1, "financing", 5, 3, 14)},
            Decision.DECLINE,
            ReasonCode.MATURITY_TOO_SHORT,
            "14 days to maturity (minimum 15)",
        ),
        (
            {"circular": CircularTransfers(2, 900, ("0xA", "0xC"))},
            Decision.DECLINE,
            ReasonCode.CIRCULAR_TRANSFERS,
            "value of the receivable returned 2 times to members it had passed through"
            " (9.00 CNY in all; 0xA, 0xC)",
        ),
        (
            {"velocity": SlotVelocity(11, 11, 7_200, 3.67)},
            Decision.REFER,
            ReasonCode.TRANSFER_VELOCITY_HIGH,
            "11 transfers of the receivable in the last 7200 blocks (limit 10)",
        ),
        (
            {"duplicate_document_attempts": 1},
            Decision.REFER,
            ReasonCode.DUPLICATE_DOCUMENT_ATTEMPTS,
            "the debtor tried 1 times to issue a receivable on an already used document (limit 0)",
        ),
    ],
)
def test_each_rule_gives_its_outcome_and_reason(
    changes: dict[str, Any], decision: Decision, code: ReasonCode, message: str
) -> None:
    assessment = evaluate(clean(**changes), Policy())
    assert assessment.decision is decision
    assert [(r.code, r.outcome, r.message) for r in assessment.reasons] == [
        (code, decision, message)
    ]


def test_advance_rate_is_limited_by_the_debtors_on_time_band() -> None:
    policy = Policy()
    request = replace(clean().request, amount=850, advance_bps=8_500)
    good = clean(request=request, debtor=DebtorRecord(DEBTOR, 20, 0, 10_000, 0, 0, 0))
    fair = clean(request=request, debtor=DebtorRecord(DEBTOR, 10, 1, 9_000, 0, 0, 0))
    unknown = clean(request=request, debtor=DebtorRecord(DEBTOR, 0, 0, None, 0, 0, 0))
    assert evaluate(good, policy).codes == []
    assert evaluate(fair, policy).codes == ["advance_rate_above_limit"]
    assert evaluate(fair, policy).reasons[0].message == (
        "advance of 85.00% of the piece exceeds 80.00% allowed by the debtor's record"
    )
    assert evaluate(unknown, policy).codes == ["advance_rate_above_limit"]


def test_exposure_and_concentration_limits_refer_when_set() -> None:
    policy = Policy(max_exposure_per_debtor=400, max_concentration_bps=3_000)
    assessment = evaluate(clean(), policy)
    assert assessment.decision is Decision.REFER
    assert assessment.codes == ["debtor_exposure_above_limit", "debtor_concentration_above_limit"]
    assert assessment.reasons[0].message == (
        "exposure to the debtor would be 5.00 CNY (limit 4.00 CNY)"
    )
    assert assessment.reasons[1].message == (
        "the debtor would be 33.33% of the financier's exposure (limit 30.00%)"
    )


def test_every_failing_rule_is_listed_and_a_decline_outweighs_refers() -> None:
    indicators = clean(
        velocity=SlotVelocity(40, 40, 7_200, 13.33),
        circular=CircularTransfers(1, 500, ("0xA",)),
        piece=PieceProfile(6, "financing", 5, 3, 60),
    )
    assessment = evaluate(indicators, Policy(auto_decide=True))
    assert assessment.decision is Decision.DECLINE
    assert assessment.codes == ["depth_above_limit", "circular_transfers", "transfer_velocity_high"]
    assert assessment.auto_decide is True


def test_a_limit_set_to_none_is_off() -> None:
    policy = Policy(max_circular_transfers=None, max_transfers_in_window=None)
    indicators = clean(
        velocity=SlotVelocity(40, 40, 7_200, 13.33), circular=CircularTransfers(1, 500, ("0xA",))
    )
    assert evaluate(indicators, policy).decision is Decision.APPROVE


def test_policy_orders_bands_and_refuses_unknown_or_out_of_range_rules() -> None:
    policy = Policy(
        advance_bands=[
            AdvanceBand(min_on_time_bps=0, max_advance_bps=5_000),
            AdvanceBand(min_on_time_bps=9_000, max_advance_bps=9_000),
        ]
    )
    assert [b.min_on_time_bps for b in policy.advance_bands] == [9_000, 0]
    assert (policy.max_advance_bps(9_500), policy.max_advance_bps(8_999)) == (9_000, 5_000)
    assert Policy.model_validate(policy.model_dump(mode="json")) == policy
    with pytest.raises(ValidationError):
        Policy.model_validate({"max_depht": 3})
    with pytest.raises(ValidationError):
        AdvanceBand(min_on_time_bps=0, max_advance_bps=12_000)
    with pytest.raises(ValidationError):
        Policy(advance_bands=[])


@pytest.mark.parametrize(
    ("currency", "shown", "zero"),
    [
        ("CNY", "7.00 CNY", "0.00 CNY"),
        ("JPY", "700 JPY", "0 JPY"),
        ("KWD", "0.700 KWD", "0.000 KWD"),
    ],
)
def test_reasons_show_amounts_in_the_request_currency(currency: str, shown: str, zero: str) -> None:
    request = replace(clean().request, currency=currency)
    indicators = clean(request=request, debtor=DebtorRecord(DEBTOR, 10, 0, 10_000, 700, 2, 0))
    (reason,) = evaluate(indicators, Policy(max_open_overdue_value=0)).reasons
    assert reason.message == f"the debtor has {shown} overdue in 2 pieces (limit {zero})"
