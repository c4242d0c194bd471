"""Amounts as the gateway reads them: decimal strings in the currency's units, never
floats. `amount(Decimal("1000000.00"))` is `"1000000.00"`: one million yuan in CNY."""

from __future__ import annotations

from decimal import Decimal


def amount(value: Decimal | str) -> str:
    """`value` as the decimal string a request body carries: a `Decimal` in plain
    notation (`Decimal("1E+6")` -> `"1000000"`), a `str` as given (the gateway checks it:
    at most the currency's minor digits, never rounded).

    Raises TypeError for a float (0.1 is not exactly 0.1), an int (minor units or yuan?
    the old API read fen: a silent 100x error) or a bool, before any request is sent; and
    ValueError for a Decimal that is no finite number."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"an amount must be a finite number, not {value}")
        return format(value, "f")
    raise TypeError(
        f"an amount is a decimal.Decimal or a str in the currency's units (e.g. "
        f'"1000000.00"), not a {type(value).__name__}'
    )


def optional_amount(value: Decimal | str | None) -> str | None:
    return None if value is None else amount(value)
