"""Amounts of money: exact integers in their currency's minor units, never floats.

The one description of an amount's unit, for every schema that carries one (the REST API's
bodies, the risk view), and the one place where a decimal string in a currency becomes
minor units and back (docs/money.md).

Currencies are the active ISO 4217 legal tenders, as babel's CLDR data knows them: a code
some territory uses as tender today. Funds codes (CLF, USN, ...), precious metals, SDR,
test codes and CNH (an offshore market code, not ISO 4217) are refused. CLDR's digits are
display digits and differ from ISO 4217's minor units for a few currencies; `ISO_MINOR_UNITS`
corrects those (a test fails when babel's data changes under it).

Parsing uses integer arithmetic on the digits, not `Decimal` arithmetic: a `Decimal`
context holds 28 digits by default, and an amount up to 2**128 has 39.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies
from pydantic import Field

from scfledger.exceptions import (
    AmountMalformed,
    AmountNotAString,
    AmountOutOfRange,
    AmountTooPrecise,
    CurrencyNotAccepted,
    NotExact,
    UnknownCurrency,
)

MINOR_UNITS = "In the currency's minor units (e.g. fen for CNY, cents for USD), an integer"
MinorUnits = Annotated[int, Field(description=MINOR_UNITS)]

# What the ledger holds: uint256 on chain, but NUMERIC(39) in the database and the API's
# bound (api/fields.py Amount) are below 2**128.
MAX_AMOUNT = 2**128 - 1

# ISO 4217 minor units where CLDR's display digits (babel.get_currency_precision) differ:
# CLDR shows these without decimals (or IQD without its fils), ISO 4217 list one gives them.
ISO_MINOR_UNITS: dict[str, int] = {
    "AFN": 2,
    "ALL": 2,
    "IQD": 3,
    "IRR": 2,
    "KPW": 2,
    "LAK": 2,
    "LBP": 2,
    "MGA": 2,
    "MMK": 2,
    "RSD": 2,
    "SOS": 2,
    "SYP": 2,
    "YER": 2,
}

# Plain decimal notation only: ASCII digits without leading zeros, one optional fraction.
# `re.ASCII`: `\d` would match other scripts' digits, and Decimal() would read them.
_AMOUNT = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?", re.ASCII)
_CODE = re.compile(r"[A-Z]{3}", re.ASCII)
# What a well-formed amount looks like, for schemas (JSON Schema `pattern`): `_AMOUNT`
# without the sign, which is well formed but never allowed.
AMOUNT_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"


@cache
def currencies(on: date | None = None) -> frozenset[str]:
    """The ISO 4217 codes that are legal tender in some territory on a day (today by
    default), from babel's CLDR data."""
    day = on or date.today()
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        found = get_territory_currencies(territory, day, tender=True, non_tender=False)
        codes.update(str(code) for code in found)
    return frozenset(codes)


def currency_exponent(code: str) -> int:
    """The number of minor-unit digits of an active ISO 4217 currency: 2 for CNY, 0 for
    JPY, 3 for KWD. Raises UnknownCurrency for anything else (lower case included)."""
    if not isinstance(code, str) or not _CODE.fullmatch(code) or code not in currencies():
        raise UnknownCurrency(code)
    return ISO_MINOR_UNITS.get(code, int(get_currency_precision(code)))


def check_currency(
    code: str, *, value_decimals: int, accepted: Collection[str] | None = None
) -> str:
    """`code` if this ledger may hold amounts in it, else UnknownCurrency or
    CurrencyNotAccepted.

    A slot's on-chain value is in its currency's minor units, and the deployment's ERC-3525
    `valueDecimals` (also the deposit token's decimals and the unit of `minPieceValue`) is
    one number for every slot: a currency is accepted only when its exponent equals it, so
    that number never lies. `accepted` narrows further (the consortium's list)."""
    exponent = currency_exponent(code)
    if accepted is not None and code not in accepted:
        allowed = ", ".join(sorted(accepted)) or "none"
        raise CurrencyNotAccepted(code=code, reason=f"the consortium accepts {allowed}")
    if exponent != value_decimals:
        raise CurrencyNotAccepted(
            code=code,
            reason=f"{code} has {exponent} minor digits and this ledger's values have "
            f"{value_decimals}",
        )
    return code


def parse_amount(
    text: str,
    currency: str,
    *,
    allow_zero: bool = False,
    maximum: int = MAX_AMOUNT,
    field: str = "amount",
) -> int:
    """The minor units of a decimal string in `currency`: "1000000.00" CNY -> 100000000.

    Only a `str` is read (a JSON number, a boolean or a float raises AmountNotAString);
    plain decimal notation only (AmountMalformed); at most the currency's minor digits,
    never rounded (AmountTooPrecise); positive, or zero if `allow_zero`, and at most
    `maximum` minor units (AmountOutOfRange); an unknown currency raises UnknownCurrency."""
    if not isinstance(text, str):
        raise AmountNotAString(field=field, value=text)
    exponent = currency_exponent(currency)
    whole, fraction = _digits(text, field)
    if len(fraction) > exponent:
        raise AmountTooPrecise(field=field, text=text, currency=currency, digits=exponent)
    if len(whole) > len(str(maximum)):  # before int(): no huge conversions
        raise AmountOutOfRange(field=field, text=text, reason=_above(maximum, currency))
    minor = int(whole + fraction.ljust(exponent, "0"))
    if minor > maximum:
        raise AmountOutOfRange(field=field, text=text, reason=_above(maximum, currency))
    if minor == 0 and not allow_zero:
        raise AmountOutOfRange(field=field, text=text, reason="it must be more than zero")
    return minor


def check_amount_text(text: object, *, field: str = "amount") -> str:
    """`text` if it is a decimal string in plain notation and not negative: the checks of
    `parse_amount` that need no currency (a request body's schema makes them; the
    currency's digits and the bounds are checked once the currency is known)."""
    if not isinstance(text, str):
        raise AmountNotAString(field=field, value=text)
    _digits(text, field)
    return text


def _digits(text: str, field: str) -> tuple[str, str]:
    """The whole and fractional digits of a well-formed, non-negative amount."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise AmountMalformed(field=field, text=text)
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    if sign:
        raise AmountOutOfRange(field=field, text=text, reason="amounts are never negative")
    return whole, fraction


def _above(maximum: int, currency: str) -> str:
    return f"at most {format_amount(maximum, currency)} {currency}"


def format_amount(minor: int, currency: str) -> str:
    """The canonical decimal string of minor units in `currency`, exact, with exactly the
    currency's minor digits: 100 JPY -> "100", 1000 KWD minor units -> "1.000"."""
    return format_units(minor, currency_exponent(currency))


def format_units(minor: int, exponent: int) -> str:
    """Minor units as a decimal string with `exponent` digits after the point (what
    `format_amount` does once it knows the currency's exponent): a ledger whose values all
    have `valueDecimals` digits formats any of them without asking which currency."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise NotExact(field="minor units", value=minor, expected="an int")
    sign, digits = ("-", str(-minor)) if minor < 0 else ("", str(minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def as_decimal(minor: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal in currency units (for charts and exports)."""
    return Decimal(format_amount(minor, currency))
