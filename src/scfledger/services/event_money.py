"""Events as the API shows them (an operation's events, the feed, its stream, webhooks):
the receivable's currency as its code (`"CNY"`, not the `bytes3` `"0x434e59"`), amounts
as decimal strings, and the currency the amounts are in.

The indexer stores each event's arguments as the contract emitted them (integers, bytes
as 0x-hex): the projectors and a replay read them so. They are shown this way on every
read, old rows as new ones (docs/money.md "Amounts in the API").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from scfledger.indexer.projector.values import currency_text
from scfledger.services.ledger_money import LedgerMoney, currencies

# (contract, event) -> its amount arguments, as the ABI names them ("terms.advance": the
# field of a struct argument). Every uint256 of an event that counts money is here; a test
# holds the table to the ABI.
AMOUNTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ReceivableToken", "ReceivableIssued"): ("faceAmount",),
    ("ReceivableToken", "PieceSplit"): ("value",),
    ("ReceivableToken", "TransferValue"): ("_value",),
    ("ReceivableToken", "ApprovalValue"): ("_value",),
    ("ReceivableToken", "SettlementSubmitted"): ("amount",),
    ("ReceivableToken", "PaymentConfirmed"): ("amount",),
    ("ReceivableToken", "PieceSettled"): ("amount", "lienAmount"),
    ("ReceivableToken", "MinPieceValueChanged"): ("oldMinPieceValue", "newMinPieceValue"),
    ("Financing", "FinancingRequested"): ("asked.advance", "asked.repayment", "asked.fees"),
    ("Financing", "FinancingOffered"): ("terms.advance", "terms.repayment", "terms.fees"),
    ("Financing", "FinancingAccepted"): ("terms.advance", "terms.repayment", "terms.fees"),
    ("Financing", "FinancingFunded"): ("advance", "fees"),
    ("Financing", "LoanRepaid"): ("amount",),
    ("Financing", "FinancingSettled"): ("amount",),
    ("Financing", "RecourseClaimed"): ("amount",),
    ("Financing", "RecourseRepaid"): ("amount",),
    ("DepositToken", "Transfer"): ("value",),
    ("DepositToken", "Approval"): ("value",),
    ("DepositToken", "PaymentEscrowed"): ("amount",),
    ("DepositToken", "EscrowClaimed"): ("amount",),
    ("SetOff", "RoundProposed"): ("total",),
    ("SetOff", "ItemPlanned"): ("amount",),
    ("SetOff", "PieceNetted"): ("amount", "remaining"),
    ("SetOff", "RoundExecuted"): ("total",),
}
# Arguments naming the piece (or the slot, or the request) whose currency an event's
# amounts are in, in the order they are asked.
_PIECES = ("tokenId", "_tokenId", "_fromTokenId", "_toTokenId", "parentTokenId", "childTokenId")
_BIGINT = 2**63  # ids a BIGINT column can hold; larger ones name nothing


@dataclass(frozen=True)
class Shown:
    """An event's arguments as shown, and the currency of its amounts (None: it has no
    amount, or one of the whole ledger's, e.g. the minimum piece value)."""

    args: dict[str, Any]
    currency: str | None


def _ids(args: dict[str, Any], names: Sequence[str]) -> list[int]:
    return [v for n in names if isinstance(v := args.get(n), int) and 0 < v < _BIGINT]


def _slot(args: dict[str, Any]) -> int | None:
    slot = args.get("slot")
    return slot if isinstance(slot, int) and 0 <= slot < _BIGINT else None


def _formatted(args: dict[str, Any], paths: Sequence[str], money: LedgerMoney) -> dict[str, Any]:
    shown = dict(args)
    if isinstance(code := shown.get("currency"), str) and code.startswith("0x"):
        shown["currency"] = currency_text(bytes.fromhex(code[2:]))
    for path in paths:
        head, _, leaf = path.rpartition(".")
        holder = shown
        if head:
            inner = shown.get(head)
            if not isinstance(inner, dict):
                continue
            holder = shown[head] = dict(inner)
        value = holder.get(leaf)
        if isinstance(value, int) and not isinstance(value, bool):
            holder[leaf] = money.text(value)
    return shown


# The kinds of subject an event's row is about (its currency's, and its viewers' in
# `services.feed_visibility`).
PIECE, REQUEST, ROUND, SLOT = "piece", "request", "round", "slot"


def currency_subjects(args: dict[str, Any]) -> dict[str, list[int]]:
    """What `read_model_currencies` reads for an event with these arguments, by kind: the
    receivable (`SLOT`), pieces, financing requests and set-off rounds it names."""
    slot = _slot(args)
    return {
        SLOT: [] if slot is None else [slot],
        PIECE: _ids(args, _PIECES),
        REQUEST: _ids(args, ("requestId",)),
        ROUND: _ids(args, ("roundId",)),
    }


def _looked_up(contract: str, name: str, args: dict[str, Any]) -> bool:
    """Whether the currency of the event's amounts is the read model's to say (the
    receivable, piece, request or round it names), not the event's own or the ledger's."""
    return (
        (contract, name) in AMOUNTS
        and contract != "DepositToken"
        and name != "MinPieceValueChanged"
        and not isinstance(args.get("currency"), str)
    )


def read_model_currencies(
    session: Session, events: Sequence[tuple[str, str, dict[str, Any]]]
) -> list[str | None]:
    """For each (contract, name, args), the currency the read model gives its amounts
    (its receivable's, else its first piece's found, else its request's, else its set-off
    round's), or None (not the read model's to say, or nothing found); one query."""
    wanted = [args for contract, name, args in events if _looked_up(contract, name, args)]
    known = currencies(
        session,
        slots=[s for a in wanted if (s := _slot(a)) is not None],
        pieces=[i for a in wanted for i in _ids(a, _PIECES)],
        requests=[i for a in wanted for i in _ids(a, ("requestId",))],
        rounds=[i for a in wanted for i in _ids(a, ("roundId",))],
    )
    found: list[str | None] = []
    for contract, name, args in events:
        if not _looked_up(contract, name, args):
            found.append(None)
            continue
        slot = _slot(args)
        named = [known.slots.get(slot)] if slot is not None else []
        named += [known.pieces.get(i) for i in _ids(args, _PIECES)]
        named += [known.requests.get(i) for i in _ids(args, ("requestId",))]
        named += [known.rounds.get(i) for i in _ids(args, ("roundId",))]
        found.append(next((c for c in named if c is not None), None))
    return found


def show_events(
    session: Session,
    money: LedgerMoney,
    events: Sequence[tuple[str, str, dict[str, Any]]],
    stored: Sequence[str | None] = (),
) -> list[Shown]:
    """Each (contract, name, args) as the API shows it. `stored`, if given, holds for each
    event the currency `read_model_currencies` found for it when the indexer wrote it (the
    feed's `feed_currencies`), None where it found none or has not looked; the others'
    currencies are read in one query."""
    stored = list(stored) or [None] * len(events)
    ask = [i for i, (c, n, a) in enumerate(events) if stored[i] is None and _looked_up(c, n, a)]
    asked = dict(zip(ask, read_model_currencies(session, [events[i] for i in ask]), strict=True))
    shown: list[Shown] = []
    for index, (contract, name, args) in enumerate(events):
        paths = AMOUNTS.get((contract, name), ())
        formatted = _formatted(args, paths, money)
        currency: str | None = None
        if not paths or name == "MinPieceValueChanged":
            currency = None
        elif contract == "DepositToken":
            currency = money.base
        elif isinstance(formatted.get("currency"), str):
            currency = formatted["currency"]
        else:
            currency = stored[index] or asked.get(index)
        shown.append(Shown(formatted, currency))
    return shown


# A contract error's arguments that are amounts (minor units on chain), by error name.
# Every other argument (ids, counts, times, wei) is shown as the contract gave it.
ERROR_AMOUNTS: dict[str, tuple[str, ...]] = {
    "ValueBelowMinimum": ("value", "minimum"),
    "AdvanceAboveValue": ("value", "amount"),
    "FeesAboveAdvance": ("advance", "fees"),
    "ERC3525InsufficientBalance": ("balance", "value"),
    "ERC3525InsufficientAllowance": ("allowance", "value"),
    "ERC20InsufficientBalance": ("balance", "needed"),
    "ERC20InsufficientAllowance": ("allowance", "needed"),
    "InvalidNetAmount": ("amount", "value"),
    "RoundUnbalanced": ("net",),
}


def show_error_args(name: str, args: dict[str, Any], money: LedgerMoney) -> dict[str, Any]:
    """A contract error's arguments as the API shows them: its amounts as decimal strings
    in the ledger's value decimals (the same digits in each of its currencies)."""
    amounts = ERROR_AMOUNTS.get(name, ())
    return {
        key: money.text(value) if key in amounts and isinstance(value, int) else value
        for key, value in args.items()
    }
