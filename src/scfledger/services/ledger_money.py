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

from sqlalchemy import select
from sqlalchemy.orm import Session

from scfledger import money
from scfledger.db.projections import FinancingRequest, Piece, Receivable, SetOffRound
from scfledger.exceptions import UnknownCurrency
from scfledger.services.visibility import among


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


def slot_currencies(session: Session, slots: Iterable[int]) -> dict[int, str]:
    """The currency of each receivable (slot) that exists."""
    wanted = sorted(set(slots))
    if not wanted:
        return {}
    rows = session.execute(
        select(Receivable.slot, Receivable.currency).where(among(session, Receivable.slot, wanted))
    )
    return {slot: currency for slot, currency in rows}


def piece_currencies(session: Session, token_ids: Iterable[int]) -> dict[int, str]:
    """The currency of each piece (token id) that exists."""
    wanted = sorted(set(token_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Piece.token_id, Receivable.currency)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(among(session, Piece.token_id, wanted))
    )
    return {token_id: currency for token_id, currency in rows}


def request_currencies(session: Session, request_ids: Iterable[int]) -> dict[int, str]:
    """The currency of each financing request's piece."""
    wanted = sorted(set(request_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(FinancingRequest.id, Receivable.currency)
        .join(Piece, Piece.token_id == FinancingRequest.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(among(session, FinancingRequest.id, wanted))
    )
    return {request_id: currency for request_id, currency in rows}


def round_currencies(session: Session, round_ids: Iterable[int]) -> dict[int, str]:
    """The currency of each set-off round's pieces (one per round)."""
    wanted = sorted(set(round_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(SetOffRound.round_id, SetOffRound.currency).where(
            among(session, SetOffRound.round_id, wanted), SetOffRound.currency.is_not(None)
        )
    )
    return {round_id: currency for round_id, currency in rows if currency is not None}


def piece_currency(session: Session, token_id: int) -> str | None:
    return piece_currencies(session, [token_id]).get(token_id)


def request_currency(session: Session, request_id: int) -> str | None:
    return request_currencies(session, [request_id]).get(request_id)
