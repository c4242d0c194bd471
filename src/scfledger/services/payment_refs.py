"""Payment references in clear: recorded with the write that pays, read back by its payer
and payees; everyone else sees the on-chain hash.

The chain holds a reference's SHA-256 (services.ledger.bytes32); the clear text is for a
bank's reconciliation with core banking, and only the payer and the payees served by this
gateway may read it. The row is written before the operation is accepted (in the use
case, so an approved maker-checker draft records it when it runs), keyed by the
operation's idempotency key, then linked to the operation (or deleted again when the
contract refuses the call at estimation: a refused write changes nothing but its failed
operation). A reference is shown only where an indexed event carries its hash, so an
operation that fails later shows its reference nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scfledger.chain.calls import ContractCall
from scfledger.db.apikeys import ApiKey
from scfledger.db.payment_refs import PaymentReference
from scfledger.db.projections import FinancingRequest, Piece
from scfledger.db.session import transaction
from scfledger.outbox.operation import OperationStatus, OperationView
from scfledger.services.ledger import Actor, Idempotency, Ledger, bytes32, submit


def ref_hash(text: str) -> str:
    """The on-chain form of a reference, as events carry it (0x + 64 lower-case hex)."""
    return "0x" + bytes32(text, "payment_ref").hex()


def _participants_of(session: Session, addresses: Iterable[str]) -> dict[str, set[str]]:
    """The participants this gateway serves at each address (their API keys name it)."""
    wanted = {to_checksum_address(a) for a in addresses}
    found: dict[str, set[str]] = {}
    if wanted:
        query = select(ApiKey.address, ApiKey.participant).where(ApiKey.address.in_(wanted))
        for address, participant in session.execute(query.distinct()):
            found.setdefault(to_checksum_address(address), set()).add(participant)
    return found


def record(
    session: Session,
    *,
    actor: Actor,
    idempotency: Idempotency,
    kind: str,
    text: str,
    payer: str,
    payees: Sequence[str],
) -> None:
    """Stores `text` for the payer and payees that are participants of this gateway (and
    the actor, whichever it is), one row each; a retry of the same write replaces its rows."""
    readers: dict[str, str] = {actor.participant: "payer" if actor.address == payer else "payee"}
    served = _participants_of(session, [payer, *payees])
    for participant in served.get(to_checksum_address(payer), set()):
        readers[participant] = "payer"
    for payee in payees:
        for participant in served.get(to_checksum_address(payee), set()):
            readers.setdefault(participant, "payee")
    rows = [
        {
            "ref_hash": ref_hash(text),
            "text": text,
            "participant": participant,
            "role": role,
            "kind": kind,
            "made_by": actor.participant,
            "idempotency_key": idempotency.key,
        }
        for participant, role in sorted(readers.items())
    ]
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(PaymentReference)
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["made_by", "idempotency_key", "participant"],
            set_={
                "ref_hash": excluded.ref_hash,
                "text": excluded.text,
                "role": excluded.role,
                "kind": excluded.kind,
            },
        ),
        rows,
    )


def submit_payment(
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    call: ContractCall,
    kind: str,
    *,
    text: str,
    payer: str,
    payees: Sequence[str],
) -> OperationView:
    """`services.ledger.submit` of a write that carries a payment reference: the reference
    is recorded first, then the operation accepted and linked to it."""
    with transaction(ledger.sessions) as session:
        record(
            session,
            actor=actor,
            idempotency=idempotency,
            kind=kind,
            text=text,
            payer=payer,
            payees=payees,
        )
    view = submit(ledger, actor, idempotency, call, kind)
    rows = (
        PaymentReference.made_by == actor.participant,
        PaymentReference.idempotency_key == idempotency.key,
    )
    with transaction(ledger.sessions) as session:
        if view.status == OperationStatus.FAILED:
            # Refused by the contract at estimation: the refusal changes nothing but its
            # failed operation.
            session.execute(delete(PaymentReference).where(*rows))
        else:
            session.execute(update(PaymentReference).where(*rows).values(operation_id=view.id))
    return view


def settlement_payees(session: Session, token_ids: Iterable[int]) -> list[str]:
    """Who a settlement of the pieces pays: their holders, and the lien holders of pledged
    ones (the financier of a funded pledge)."""
    ids = list(token_ids)
    holders = session.scalars(select(Piece.holder).where(Piece.token_id.in_(ids)))
    liens = session.scalars(
        select(FinancingRequest.financier).where(
            FinancingRequest.token_id.in_(ids),
            FinancingRequest.status == "funded",
            FinancingRequest.mode == "pledge",
        )
    )
    return sorted({*holders, *(f for f in liens if f is not None)})


def readable(session: Session, actor: Actor, hashes: Iterable[str | None]) -> dict[str, str]:
    """The clear text of each of `hashes` the actor may read (as payer or payee)."""
    return readable_by(session, actor.participant, hashes)


def readable_by(session: Session, participant: str, hashes: Iterable[str | None]) -> dict[str, str]:
    """The clear text of each of `hashes` that `participant` may read."""
    wanted = {h.lower() for h in hashes if isinstance(h, str) and h}
    if not wanted:
        return {}
    query = select(PaymentReference.ref_hash, PaymentReference.text).where(
        PaymentReference.participant == participant,
        PaymentReference.ref_hash.in_(wanted),
    )
    return {h: text for h, text in session.execute(query)}


EVENT_ARG = "paymentRef"  # the events' payment reference (bytes32)
EVENT_TEXT = "paymentRefText"  # what `revealed` adds beside it


def revealed(
    session: Session, participant: str, args_of: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Event arguments as `participant` sees them: an event's `paymentRef` stays the hash
    the chain emitted; `paymentRefText` is added beside it where the participant may
    read the reference in clear (payer and payees)."""
    clear = readable_by(session, participant, (args.get(EVENT_ARG) for args in args_of))
    shown = []
    for args in args_of:
        ref = args.get(EVENT_ARG)
        text = clear.get(ref.lower()) if isinstance(ref, str) else None
        shown.append(args if text is None else {**args, EVENT_TEXT: text})
    return shown


def shown(session: Session, actor: Actor, value: str | None) -> str | None:
    """A payment reference as the actor sees it: the clear text if it may read it, else
    the on-chain hash (None stays None)."""
    if value is None:
        return None
    return readable(session, actor, [value]).get(value.lower(), value)
