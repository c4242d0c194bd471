"""A participant's maker-checker policy: which operation kinds need a checker, above which
amount two, how long a draft waits; and the operation kind and amount of each write.

Kinds are the operation kinds the use cases record (`receivable.issue`, ...): stable names,
mapped here from the use case's dotted name so that this layer imports no service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scfledger.db.drafts import ParticipantPolicy
from scfledger.db.projections import FinancingRequest, Piece, SetOffRound

_S = "scfledger.services."
# The use case Write.submit runs -> the operation kind a policy names.
KINDS: dict[str, str] = {
    f"{_S}receivables.issue": "receivable.issue",
    f"{_S}receivables.accept": "receivable.accept",
    f"{_S}receivables.reject_receivable": "receivable.reject",
    f"{_S}receivables.cancel_receivable": "receivable.cancel",
    f"{_S}receivables.expire_receivable": "receivable.expire",
    f"{_S}receivables.transfer": "piece.transfer",
    f"{_S}receivables.accept_piece": "piece.accept",
    f"{_S}receivables.refuse_piece": "piece.refuse",
    f"{_S}receivables.recall_piece": "piece.recall",
    f"{_S}receivables.attach_evidence": "piece.evidence",
    f"{_S}receivables.mark_overdue": "piece.mark_overdue",
    f"{_S}receivables.mark_defaulted": "piece.mark_defaulted",
    f"{_S}settlements.settle": "receivable.settle",
    f"{_S}settlements.confirm_payment": "settlement.confirm",
    f"{_S}settlements.dispute_payment": "settlement.dispute",
    f"{_S}settlements.finalize_settlement": "settlement.finalize",
    f"{_S}settlements.claim_escrow": "escrow.claim",
    f"{_S}financing.request_financing": "financing.request",
    f"{_S}financing.offer_financing": "financing.offer",
    f"{_S}financing.accept_offer": "financing.accept",
    f"{_S}financing.reject_financing": "financing.reject",
    f"{_S}financing.withdraw_financing": "financing.withdraw",
    f"{_S}financing.expire_financing": "financing.expire",
    f"{_S}financing.fund_financing": "financing.fund",
    f"{_S}financing.repay_financing": "financing.repay",
    f"{_S}financing.claim_recourse": "financing.claim_recourse",
    f"{_S}financing.repay_recourse": "financing.repay_recourse",
    f"{_S}governance.propose_admission": "member.admit",
    f"{_S}governance.propose_suspension": "member.suspend",
    f"{_S}governance.propose_reinstatement": "member.reinstate",
    f"{_S}governance.approve_proposal": "proposal.approve",
    f"{_S}governance.revoke_approval": "proposal.revoke",
    f"{_S}governance.cancel_proposal": "proposal.cancel",
    f"{_S}relay.relay_transaction": "transaction.relay",
    f"{_S}setoff.propose_round": "setoff.propose",
    f"{_S}setoff.consent_round": "setoff.consent",
    f"{_S}setoff.refuse_round": "setoff.refuse",
    f"{_S}setoff.execute_round": "setoff.execute",
}
# Administration of the institution's people, keys and policy (gateway actions, not ledger
# writes): named here so that a policy can require a checker for them.
ADMINISTRATION_KINDS = ("user.admin", "key.admin", "policy.update")
ALL_KINDS = frozenset(KINDS.values()) | frozenset(ADMINISTRATION_KINDS)

# Issue 15: issue, settle and confirm payment, financing offers and funding, governance
# votes, user and key administration need a checker.
DEFAULT_KINDS = frozenset(
    {
        "receivable.issue",
        "receivable.settle",
        "settlement.confirm",
        "financing.offer",
        "financing.accept",
        "financing.fund",
        "member.admit",
        "member.suspend",
        "member.reinstate",
        "proposal.approve",
        "setoff.consent",  # a party gives up receivables it holds
        *ADMINISTRATION_KINDS,
    }
)
DEFAULT_TTL_HOURS = 72
MAX_TTL_HOURS = 24 * 90


def _argument(name: str, index: int | None = None) -> Callable[[Session, Mapping[str, Any]], int]:
    def amount(_: Session, arguments: Mapping[str, Any]) -> int:
        value = arguments[name]
        return int(value if index is None else value[index])

    return amount


def _request(field: str) -> Callable[[Session, Mapping[str, Any]], int | None]:
    def amount(session: Session, arguments: Mapping[str, Any]) -> int | None:
        request = session.get(FinancingRequest, int(arguments["request_id"]))
        value = None if request is None else getattr(request, field)
        return None if value is None else int(value)

    return amount


def _round(session: Session, arguments: Mapping[str, Any]) -> int | None:
    """What a set-off round clears in all (the receivables its parties give up)."""
    found = session.get(SetOffRound, int(arguments["round_id"]))
    return None if found is None else int(found.total)


def _pieces(session: Session, arguments: Mapping[str, Any]) -> int | None:
    ids = arguments.get("token_ids") or [arguments["token_id"]]
    values = session.scalars(select(Piece.value).where(Piece.token_id.in_([int(i) for i in ids])))
    found = [int(v) for v in values]
    return sum(found) if found else None


# What a write of a kind is worth, in minor units (for the two-checker threshold): from its
# arguments, else from the read model (the request's agreed advance, the pieces' values).
# None (unknown, or a kind without an amount): one checker.
AMOUNTS: dict[str, Callable[[Session, Mapping[str, Any]], int | None]] = {
    "receivable.issue": _argument("face_amount"),
    "piece.transfer": _argument("value"),
    "financing.request": _argument("terms", 0),
    "financing.offer": _argument("terms", 0),
    "financing.accept": _argument("terms", 0),
    "financing.fund": _request("advance"),
    "financing.repay": _request("repayment"),
    "financing.repay_recourse": _request("repayment"),
    "receivable.settle": _pieces,
    "settlement.confirm": _pieces,
    "setoff.consent": _round,
}


@dataclass(frozen=True)
class Policy:
    """What a participant's writes need: a checker for `kinds`, two above `two_checker_amount`
    (None: never two), drafts waiting at most `draft_ttl_hours`."""

    kinds: frozenset[str]
    two_checker_amount: int | None = None
    draft_ttl_hours: int = DEFAULT_TTL_HOURS

    def needs_checker(self, kind: str) -> bool:
        return kind in self.kinds

    def approvals_for(self, kind: str, amount: int | None) -> int:
        """How many different checkers approve a draft of `kind` worth `amount`: two above
        the two-checker amount, and for a kind with an amount the gateway could not learn
        (the cautious side); one otherwise."""
        limit = self.two_checker_amount
        if limit is None or kind not in AMOUNTS:
            return 1
        return 2 if amount is None or amount > limit else 1

    def loosens(self, other: Policy) -> bool:
        """Whether `other` asks less than this policy in any way: a kind no longer checked,
        a higher (or no) two-checker amount, a longer wait."""
        if not self.kinds <= other.kinds:
            return True
        if self.two_checker_amount is not None and (
            other.two_checker_amount is None or other.two_checker_amount > self.two_checker_amount
        ):
            return True
        return other.draft_ttl_hours > self.draft_ttl_hours


DEFAULT_POLICY = Policy(kinds=DEFAULT_KINDS)
NO_CHECKER = Policy(kinds=frozenset())  # every write goes straight on


def checked_policy(kinds: object, two_checker_amount: object, draft_ttl_hours: object) -> Policy:
    """A policy from its parts; ValueError names what is wrong."""
    if not isinstance(kinds, list | tuple | set | frozenset):
        raise ValueError("kinds must be a list of operation kinds")
    unknown = sorted(str(k) for k in kinds if k not in ALL_KINDS)
    if unknown:
        raise ValueError(f"unknown operation kind {unknown[0]!r}")
    if two_checker_amount is not None and (
        not isinstance(two_checker_amount, int) or not 0 <= two_checker_amount < 2**256
    ):
        raise ValueError("two_checker_amount must be an amount in minor units, or null")
    if not isinstance(draft_ttl_hours, int) or not 1 <= draft_ttl_hours <= MAX_TTL_HOURS:
        raise ValueError(f"draft_ttl_hours must be 1 to {MAX_TTL_HOURS}")
    return Policy(frozenset(str(k) for k in kinds), two_checker_amount, draft_ttl_hours)


def policy_of(session: Session, participant: str) -> Policy:
    """The participant's policy: its row, else DEFAULT_POLICY."""
    row = session.get(ParticipantPolicy, participant)
    if row is None:
        return DEFAULT_POLICY
    return Policy(frozenset(str(k) for k in row.kinds), row.two_checker_amount, row.draft_ttl_hours)


def has_own_policy(session: Session, participant: str) -> bool:
    return session.get(ParticipantPolicy, participant) is not None


def set_policy(session: Session, participant: str, policy: Policy, *, by: str) -> None:
    """Stores the participant's policy (whoever may set it is the caller's business)."""
    row = session.get(ParticipantPolicy, participant)
    if row is None:
        row = ParticipantPolicy(participant=participant)
        session.add(row)
    row.kinds = sorted(policy.kinds)
    row.two_checker_amount = policy.two_checker_amount
    row.draft_ttl_hours = policy.draft_ttl_hours
    row.updated_at = datetime.now(UTC)
    row.updated_by = by


def kind_of(service: str) -> str | None:
    """The operation kind of a use case's dotted name (None: not a ledger write)."""
    return KINDS.get(service)


def amount_of(session: Session, kind: str, arguments: Mapping[str, Any]) -> int | None:
    """What a write is worth, in minor units, if its kind has an amount and it is known."""
    measure = AMOUNTS.get(kind)
    if measure is None:
        return None
    try:
        return measure(session, arguments)
    except (KeyError, IndexError, TypeError, ValueError):
        return None  # the use case refuses such arguments itself
