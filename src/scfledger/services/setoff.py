"""Use cases of set-off rounds (SetOff.sol, docs/setoff.md): propose a round, consent to it
or refuse it (each party), execute it once every party consented.

A proposal is checked against the index before it is sent, as the contract will check it
(items ascending and at most MAX_ROUND_ITEMS, each amount at most its piece's value with a
remainder of zero or at least the minimum piece value, every piece active, one currency,
the amounts a circulation): a round the contract would refuse is a 422
`setoff-round-invalid`, not a reverted transaction. Answers and execution check what the
caller may see (services.setoff_reads) and let the contract decide the rest: party, clock,
consents, a piece changed since the plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session

from scfledger.chain.calls import ContractCall
from scfledger.chain.deploy import contract_at
from scfledger.chain.generated import MAX_ROUND_ITEMS, PieceState, ReceivableStatus
from scfledger.db.projections import Piece, Receivable
from scfledger.exceptions import InvalidInput, SetOffRoundInvalid, WrongState
from scfledger.outbox.operation import OperationView
from scfledger.risk.clock import IndexClock
from scfledger.services.ledger import Actor, Idempotency, Ledger, bytes32, submit
from scfledger.services.setoff_reads import plan_round_items
from scfledger.services.visibility import visible_round

PROPOSE_KIND = "setoff.propose"
CONSENT_KIND = "setoff.consent"
REFUSE_KIND = "setoff.refuse"
EXECUTE_KIND = "setoff.execute"


def _address(ledger: Ledger) -> str:
    if ledger.contracts.set_off is None:  # a deployment from before set-off
        raise WrongState(
            kind="deployment", key="SetOff", state="not deployed", action="clear debts by set-off"
        )
    return ledger.contracts.set_off


def _call(ledger: Ledger, function: str, *args: object) -> ContractCall:
    return ContractCall("SetOff", _address(ledger), function, args)


def minimum_piece_value(ledger: Ledger) -> int:
    """The token's minimum piece value now (governance may change it): what a netted piece
    must keep at least, unless it clears whole."""
    token = contract_at(ledger.pipeline.w3, "ReceivableToken", ledger.contracts.token)  # type: ignore[arg-type]
    return int(token.functions.minPieceValue().call())


def check_round(session: Session, items: Sequence[tuple[int, int]], *, minimum: int) -> str:
    """The currency of a round the contract will accept as the index stands, else
    SetOffRoundInvalid naming the first reason (no party's addresses: a proposer need not
    see every piece it lists)."""
    if not 1 <= len(items) <= MAX_ROUND_ITEMS:
        raise SetOffRoundInvalid(f"a round lists 1 to {MAX_ROUND_ITEMS} items, not {len(items)}")
    for (before, _), (after, _) in pairwise(items):
        if after <= before:
            raise SetOffRoundInvalid(
                f"items must be in strictly ascending piece order: {after} follows {before}"
            )
    rows = session.execute(
        select(Piece, Receivable)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(Piece.token_id.in_([piece for piece, _ in items]))
    ).all()
    found = {piece.token_id: (piece, receivable) for piece, receivable in rows}
    shed: dict[str, int] = defaultdict(int)  # debt a party sheds minus receivables it gives up
    currencies = set()
    for token_id, amount in items:
        if token_id not in found:
            raise SetOffRoundInvalid(f"piece {token_id} does not exist")
        piece, receivable = found[token_id]
        if (
            piece.state != PieceState.ACTIVE.label
            or receivable.status != ReceivableStatus.ACTIVE.label
            or piece.holder == receivable.debtor
        ):
            raise SetOffRoundInvalid(
                f"piece {token_id} cannot be netted: only an accepted piece free of any claim"
                " (active), held by someone other than its debtor"
            )
        if not 0 < amount <= piece.value:
            raise SetOffRoundInvalid(f"piece {token_id}: the amount must be more than zero and at"
                                     " most the piece's value")  # fmt: skip
        if 0 < piece.value - amount < minimum:
            raise SetOffRoundInvalid(
                f"piece {token_id} would keep less than the minimum piece value: clear it whole"
                " or leave at least the minimum"
            )
        currencies.add(receivable.currency)
        shed[receivable.debtor] += amount
        shed[piece.holder] -= amount
    if len(currencies) > 1:
        raise SetOffRoundInvalid(
            f"a round clears one currency, not {', '.join(sorted(currencies))}"
        )
    if any(shed.values()):
        raise SetOffRoundInvalid(
            "the amounts do not balance: every party must give up as much receivable as the"
            " debt it sheds"
        )
    return currencies.pop()


def propose_round(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    deadline: int,
    items: Sequence[Sequence[int]] | None = None,
    plan_round: int | None = None,
    currency: str | None = None,
) -> OperationView:
    """Proposes a round clearing `amount` of each piece (items `[piece, amount]`, minor
    units), or the current plan's round `plan_round` of `currency` (one the caller sees),
    by `deadline` (Unix seconds, chain time). Proposing consents to nothing."""
    minimum = minimum_piece_value(ledger)
    with ledger.sessions() as session:
        if items is None:
            assert plan_round is not None  # the route checks it
            assert currency is not None
            now = IndexClock(ledger.pipeline.w3).now(session)
            pairs = plan_round_items(
                session, actor, number=plan_round, currency=currency, now=now, minimum=minimum
            )
        else:
            pairs = [(int(piece), int(amount)) for piece, amount in items]
        check_round(session, pairs, minimum=minimum)
    call = _call(ledger, "propose", pairs, deadline)
    return submit(ledger, actor, idempotency, call, PROPOSE_KIND)


def _on_round(
    ledger: Ledger, actor: Actor, idempotency: Idempotency, kind: str, round_id: int, *args: object
) -> OperationView:
    """Submits SetOff's `kind` function (`setoff.<function>`) on a round the actor sees
    (404 for another's), with the round id and `args`."""
    call = _call(ledger, kind.removeprefix("setoff."), round_id, *args)
    with ledger.sessions() as session:
        visible_round(session, actor, round_id)
    return submit(ledger, actor, idempotency, call, kind)


def consent_round(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, round_id: int
) -> OperationView:
    """A party consents to the round: it gives up the receivables the round clears of its
    pieces (so its maker-checker policy applies: `setoff.consent` is checked by default)."""
    return _on_round(ledger, actor, idempotency, CONSENT_KIND, round_id)


def refuse_round(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, round_id: int, reason: str
) -> OperationView:
    """A party refuses the round (also after consenting): it can no longer execute."""
    if not reason:
        raise InvalidInput("a refusal gives a reason")
    return _on_round(ledger, actor, idempotency, REFUSE_KIND, round_id, bytes32(reason, "reason"))


def execute_round(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, round_id: int
) -> OperationView:
    """Executes a round every party consented to, by its deadline: every piece shrinks by
    its amount or none does (`piece-changed-since-plan` when one changed)."""
    return _on_round(ledger, actor, idempotency, EXECUTE_KIND, round_id)
