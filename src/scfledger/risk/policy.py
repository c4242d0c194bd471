"""Financier policies and the evaluator: a decision with every reason, from the indicators."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from scfledger.db.gateway_tables import RiskPolicyRow
from scfledger.db.projections import FinancingRequest
from scfledger.risk.amounts import text_in
from scfledger.risk.indicators import (
    FinancingRequestNotFound,
    RiskIndicators,
    compute_indicators,
    financier_of,
)


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"


class ReasonCode(enum.StrEnum):
    """Stable codes: clients match on these, never on the text."""

    DEBTOR_OPEN_OVERDUE = "debtor_open_overdue"
    DEBTOR_ON_TIME_RATE_LOW = "debtor_on_time_rate_low"
    ADVANCE_RATE_ABOVE_LIMIT = "advance_rate_above_limit"
    DEBTOR_EXPOSURE_ABOVE_LIMIT = "debtor_exposure_above_limit"
    DEBTOR_CONCENTRATION_ABOVE_LIMIT = "debtor_concentration_above_limit"
    DEPTH_ABOVE_LIMIT = "depth_above_limit"
    MATURITY_TOO_SHORT = "maturity_too_short"
    CIRCULAR_TRANSFERS = "circular_transfers"
    TRANSFER_VELOCITY_HIGH = "transfer_velocity_high"
    DUPLICATE_DOCUMENT_ATTEMPTS = "duplicate_document_attempts"


# What each finding calls for: a decline is a red flag for fabricated or failing trade; a
# refer is a matter of terms or appetite that a credit officer may accept.
OUTCOME: dict[ReasonCode, Decision] = {
    ReasonCode.DEBTOR_OPEN_OVERDUE: Decision.DECLINE,
    ReasonCode.DEBTOR_ON_TIME_RATE_LOW: Decision.REFER,
    ReasonCode.ADVANCE_RATE_ABOVE_LIMIT: Decision.REFER,
    ReasonCode.DEBTOR_EXPOSURE_ABOVE_LIMIT: Decision.REFER,
    ReasonCode.DEBTOR_CONCENTRATION_ABOVE_LIMIT: Decision.REFER,
    ReasonCode.DEPTH_ABOVE_LIMIT: Decision.REFER,
    ReasonCode.MATURITY_TOO_SHORT: Decision.DECLINE,
    ReasonCode.CIRCULAR_TRANSFERS: Decision.DECLINE,
    ReasonCode.TRANSFER_VELOCITY_HIGH: Decision.REFER,
    ReasonCode.DUPLICATE_DOCUMENT_ATTEMPTS: Decision.REFER,
}


_MAX_AMOUNT = 2**128  # amounts are compared with on-chain values stored as NUMERIC(39)
_MAX_COUNT = 2**63  # counts, days and blocks meet 64-bit integers in queries


class AdvanceBand(BaseModel):
    """Debtors settling at least `min_on_time_bps` of their pieces on time may be advanced
    up to `max_advance_bps` of a piece's value."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    min_on_time_bps: int = Field(ge=0, le=10_000)
    max_advance_bps: int = Field(ge=0, le=10_000)


class PolicyRules(BaseModel):
    """A financier's rules other than its amount limits (`Policy` holds those in minor
    units; the API's body holds them as decimal strings); `None` turns a rule off."""

    # Strict: a request body (PUT /v1/policies) takes no "5", true or 5.0 for a number.
    model_config = ConfigDict(extra="forbid", strict=True)

    advance_bands: list[AdvanceBand] = Field(
        default_factory=lambda: [
            AdvanceBand(min_on_time_bps=9_500, max_advance_bps=9_000),
            AdvanceBand(min_on_time_bps=8_000, max_advance_bps=8_000),
            AdvanceBand(min_on_time_bps=0, max_advance_bps=6_000),
        ],
        min_length=1,
    )
    no_history_max_advance_bps: int = Field(default=8_000, ge=0, le=10_000)
    min_on_time_bps: int | None = Field(default=8_000, ge=0, le=10_000)
    max_concentration_bps: int | None = Field(default=None, ge=0, le=10_000)
    max_depth: int | None = Field(default=4, ge=0, lt=_MAX_COUNT)
    min_days_to_maturity: int | None = Field(default=15, gt=-_MAX_COUNT, lt=_MAX_COUNT)
    max_circular_transfers: int | None = Field(default=0, ge=0, lt=_MAX_COUNT)
    max_transfers_in_window: int | None = Field(default=10, ge=0, lt=_MAX_COUNT)
    velocity_window_blocks: int = Field(default=7_200, gt=0, lt=_MAX_COUNT)
    max_duplicate_document_attempts: int | None = Field(default=0, ge=0, lt=_MAX_COUNT)
    auto_decide: bool = False

    @field_validator("advance_bands")
    @classmethod
    def _highest_first(cls, bands: list[AdvanceBand]) -> list[AdvanceBand]:
        return sorted(bands, key=lambda b: b.min_on_time_bps, reverse=True)

    def max_advance_bps(self, on_time_bps: int | None) -> int:
        if on_time_bps is None:
            return self.no_history_max_advance_bps
        for band in self.advance_bands:
            if on_time_bps >= band.min_on_time_bps:
                return band.max_advance_bps
        return 0

    def rules(self) -> dict[str, Any]:
        """The rules other than the amount limits (`PolicyRules`' fields)."""
        return {name: getattr(self, name) for name in PolicyRules.model_fields}


class Policy(PolicyRules):
    """A financier's rules with its amount limits in minor units of the request's currency
    (every currency of a ledger has the ledger's value decimals), as the evaluator judges
    and the gateway stores them."""

    max_open_overdue_value: int | None = Field(
        default=0, ge=0, lt=_MAX_AMOUNT, description="In the currency's minor units"
    )
    max_exposure_per_debtor: int | None = Field(
        default=None, ge=0, lt=_MAX_AMOUNT, description="In the currency's minor units"
    )


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    outcome: Decision
    message: str


@dataclass(frozen=True)
class Assessment:
    decision: Decision
    reasons: tuple[Reason, ...]
    auto_decide: bool  # the policy lets the gateway act on an approve or a decline

    @property
    def codes(self) -> list[str]:
        return [r.code.value for r in self.reasons]


def _pct(bps: int) -> str:
    return f"{bps / 100:.2f}%"


def evaluate(indicators: RiskIndicators, policy: Policy) -> Assessment:
    """The decision on a request: decline if any reason calls for it, else refer if any
    reason is found, else approve; every reason is listed, in a fixed order. Amounts are
    compared in minor units; the policy's amount limits are minor units of the request's
    currency. Messages show amounts in that currency ("8000000.00 CNY")."""
    i, p = indicators, policy
    found: list[tuple[ReasonCode, str]] = []

    def money(minor: int) -> str:
        return f"{text_in(minor, i.request.currency)} {i.request.currency}"

    def check(code: ReasonCode, failed: bool, message: str) -> None:
        if failed:
            found.append((code, message))

    d = i.debtor
    if p.max_open_overdue_value is not None:
        check(
            ReasonCode.DEBTOR_OPEN_OVERDUE,
            d.open_overdue_value > p.max_open_overdue_value,
            f"the debtor has {money(d.open_overdue_value)} overdue in"
            f" {d.open_overdue_pieces} pieces (limit {money(p.max_open_overdue_value)})",
        )
    if p.min_on_time_bps is not None and d.on_time_bps is not None:
        check(
            ReasonCode.DEBTOR_ON_TIME_RATE_LOW,
            d.on_time_bps < p.min_on_time_bps,
            f"the debtor settled {_pct(d.on_time_bps)} of {d.settled_pieces} pieces on time"
            f" (minimum {_pct(p.min_on_time_bps)})",
        )
    limit = p.max_advance_bps(d.on_time_bps)
    check(
        ReasonCode.ADVANCE_RATE_ABOVE_LIMIT,
        i.request.advance_bps > limit,
        f"advance of {_pct(i.request.advance_bps)} of the piece exceeds {_pct(limit)}"
        " allowed by the debtor's record",
    )
    e = i.exposure
    if p.max_exposure_per_debtor is not None:
        check(
            ReasonCode.DEBTOR_EXPOSURE_ABOVE_LIMIT,
            e.to_debtor_after > p.max_exposure_per_debtor,
            f"exposure to the debtor would be {money(e.to_debtor_after)}"
            f" (limit {money(p.max_exposure_per_debtor)})",
        )
    if p.max_concentration_bps is not None:
        check(
            ReasonCode.DEBTOR_CONCENTRATION_ABOVE_LIMIT,
            e.concentration_bps > p.max_concentration_bps,
            f"the debtor would be {_pct(e.concentration_bps)} of the financier's exposure"
            f" (limit {_pct(p.max_concentration_bps)})",
        )
    if p.max_depth is not None:
        check(
            ReasonCode.DEPTH_ABOVE_LIMIT,
            i.piece.depth > p.max_depth,
            f"the piece is at tier depth {i.piece.depth} (limit {p.max_depth})",
        )
    if p.min_days_to_maturity is not None:
        check(
            ReasonCode.MATURITY_TOO_SHORT,
            i.piece.days_to_maturity < p.min_days_to_maturity,
            f"{i.piece.days_to_maturity} days to maturity (minimum {p.min_days_to_maturity})",
        )
    c = i.circular
    if p.max_circular_transfers is not None:
        check(
            ReasonCode.CIRCULAR_TRANSFERS,
            c.count > p.max_circular_transfers,
            f"value of the receivable returned {c.count} times to members it had passed"
            f" through ({money(c.value)} in all; {', '.join(c.members)})",
        )
    v = i.velocity
    if p.max_transfers_in_window is not None:
        check(
            ReasonCode.TRANSFER_VELOCITY_HIGH,
            v.transfers_in_window > p.max_transfers_in_window,
            f"{v.transfers_in_window} transfers of the receivable in the last"
            f" {v.window_blocks} blocks (limit {p.max_transfers_in_window})",
        )
    if p.max_duplicate_document_attempts is not None:
        check(
            ReasonCode.DUPLICATE_DOCUMENT_ATTEMPTS,
            i.duplicate_document_attempts > p.max_duplicate_document_attempts,
            f"the debtor tried {i.duplicate_document_attempts} times to issue a receivable"
            f" on an already used document (limit {p.max_duplicate_document_attempts})",
        )
    reasons = tuple(Reason(code, OUTCOME[code], message) for code, message in found)
    outcomes = {r.outcome for r in reasons}
    if Decision.DECLINE in outcomes:
        decision = Decision.DECLINE
    elif reasons:
        decision = Decision.REFER
    else:
        decision = Decision.APPROVE
    return Assessment(decision=decision, reasons=reasons, auto_decide=p.auto_decide)


def get_policy(session: Session, financier: str) -> Policy:
    """The financier's policy, or the default one if it has set none."""
    row = session.get(RiskPolicyRow, financier)
    return Policy() if row is None else Policy.model_validate(row.rules)


def set_policy(session: Session, financier: str, policy: Policy) -> None:
    """Creates or replaces the financier's policy (in the caller's transaction)."""
    rules = policy.model_dump(mode="json")
    row = session.get(RiskPolicyRow, financier)
    if row is None:
        session.add(RiskPolicyRow(financier=financier, rules=rules))
    else:
        row.rules = rules


def assess(
    session: Session, request_id: int, *, now: int, financier: str | None = None
) -> tuple[RiskIndicators, Assessment]:
    """Indicators of the request and the decision under a financier's policy: `financier`
    (one named in the request, judging it), by default the accepted or first named one."""
    request = session.get(FinancingRequest, request_id)
    if request is None:
        raise FinancingRequestNotFound(request_id)
    viewer = financier_of(session, request, financier)
    policy = get_policy(session, viewer)
    indicators = compute_indicators(
        session,
        request_id,
        now=now,
        window_blocks=policy.velocity_window_blocks,
        financier=viewer,
    )
    return indicators, evaluate(indicators, policy)
