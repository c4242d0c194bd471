"""The ledger's money at the API's edge: which currencies this deployment holds, decimal
strings to minor units and back, and the currency of a slot, piece or request.

Every value on a deployment has its `valueDecimals` digits (the ReceivableToken's, read
once), and a currency is accepted only when its ISO 4217 exponent equals them
(money.check_currency): so minor units are formatted with those digits whatever their
currency, and a currency's code is looked up only to be shown (docs/money.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CompoundSelect, Integer, Select, literal_column, select, union_all
from sqlalchemy.orm import Session

from scfledger import money
from scfledger.db.projections import FinancingRequest, Piece, Receivable, SetOffRound
from scfledger.exceptions import UnknownCurrency
from scfledger.services.visibility import among_parameter


@dataclass
class LedgerMoney:
    """The consortium's accepted currencies (SCF_CURRENCIES; the first is the deposit
    token's) and the deployment's value decimals, read from the chain on first use."""

    accepted: tuple[str, ...]
    read_value_decimals: Callable[[], int]
    _value_decimals: int | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def value_decimals(self) -> int:
        if self._value_decimals is None:
            with self._lock:
                if self._value_decimals is None:
                    self._value_decimals = int(self.read_value_decimals())
        return self._value_decimals

    @property
    def base(self) -> str:
        """The deposit token's currency: the first accepted one."""
        return self.accepted[0]

    def check_currency(self, code: str) -> str:
        """`code` if receivables may be issued in it here: an active ISO 4217 code
        (`currency-unknown`), accepted by the consortium and with the ledger's value
        decimals (`currency-not-accepted`)."""
        return money.check_currency(
            code, value_decimals=self.value_decimals, accepted=self.accepted
        )

    def parse(
        self, text: str, currency: str | None, *, field: str, allow_zero: bool = False
    ) -> int:
        """The minor units of a decimal string in `currency` (a piece's, which may predate
        the consortium's list: only its digits must be the ledger's); None (a piece the
        caller cannot see, so that nothing is learnt of it) reads it in the base currency."""
        unit = self.base if currency is None else currency
        try:
            money.check_currency(unit, value_decimals=self.value_decimals)
        except UnknownCurrency:
            # A slot issued on chain with a code no ISO currency has (the contract takes
            # any three bytes): its values still have the ledger's digits.
            unit = self.base
        return money.parse_amount(text, unit, field=field, allow_zero=allow_zero)

    def text(self, minor: int) -> str:
        """Minor units as the decimal string of any currency of this ledger."""
        return money.format_units(minor, self.value_decimals)

    def optional(self, minor: int | None) -> str | None:
        return None if minor is None else self.text(minor)


@dataclass(frozen=True)
class Currencies:
    """The currency of each receivable (slot), piece, financing request and set-off round
    asked for that exists (a round's once it has pieces)."""

    slots: dict[int, str] = field(default_factory=dict)
    pieces: dict[int, str] = field(default_factory=dict)
    requests: dict[int, str] = field(default_factory=dict)
    rounds: dict[int, str] = field(default_factory=dict)


# What `currencies` asks for, in the order of its query's parts (the `kind` of each row).
_KINDS = ("slots", "pieces", "requests", "rounds")
_QUERIES: dict[str, CompoundSelect[Any]] = {}  # by dialect: built once, run with the ids


def _currency_query(dialect: str) -> CompoundSelect[Any]:
    """One SELECT per kind, each of the ids given in its parameter, as a UNION ALL."""

    def part(kind: str, key: Any, currency: Any) -> Select[Any]:
        tag = literal_column(str(_KINDS.index(kind)), Integer).label("kind")
        return select(tag, key.label("id"), currency.label("currency")).where(
            among_parameter(dialect, key, kind)
        )

    return union_all(
        part("slots", Receivable.slot, Receivable.currency),
        part("pieces", Piece.token_id, Receivable.currency).join(
            Receivable, Receivable.slot == Piece.slot
        ),
        part("requests", FinancingRequest.id, Receivable.currency)
        .join(Piece, Piece.token_id == FinancingRequest.token_id)
        .join(Receivable, Receivable.slot == Piece.slot),
        part("rounds", SetOffRound.round_id, SetOffRound.currency).where(
            SetOffRound.currency.is_not(None)
        ),
    )


def currencies(
    session: Session,
    *,
    slots: Iterable[int] = (),
    pieces: Iterable[int] = (),
    requests: Iterable[int] = (),
    rounds: Iterable[int] = (),
) -> Currencies:
    """The currencies of the slots, pieces, requests and rounds named, in one query (built
    once per dialect; none when nothing is asked)."""
    asked = {
        kind: sorted(set(ids))
        for kind, ids in zip(_KINDS, (slots, pieces, requests, rounds), strict=True)
    }
    found = Currencies()
    if not any(asked.values()):
        return found
    dialect = session.get_bind().dialect.name
    query = _QUERIES.get(dialect)
    if query is None:
        query = _QUERIES[dialect] = _currency_query(dialect)
    by_kind = (found.slots, found.pieces, found.requests, found.rounds)
    for kind, key, code in session.connection().execute(query, asked):  # Core: no ORM layer
        by_kind[kind][key] = code
    return found


def slot_currencies(session: Session, slots: Iterable[int]) -> dict[int, str]:
    """The currency of each receivable (slot) that exists."""
    return currencies(session, slots=slots).slots


def piece_currencies(session: Session, token_ids: Iterable[int]) -> dict[int, str]:
    """The currency of each piece (token id) that exists."""
    return currencies(session, pieces=token_ids).pieces


def request_currencies(session: Session, request_ids: Iterable[int]) -> dict[int, str]:
    """The currency of each financing request's piece."""
    return currencies(session, requests=request_ids).requests


def round_currencies(session: Session, round_ids: Iterable[int]) -> dict[int, str]:
    """The currency of each set-off round's pieces (one per round)."""
    return currencies(session, rounds=round_ids).rounds


def piece_currency(session: Session, token_id: int) -> str | None:
    return piece_currencies(session, [token_id]).get(token_id)


def request_currency(session: Session, request_id: int) -> str | None:
    return request_currencies(session, [request_id]).get(request_id)
