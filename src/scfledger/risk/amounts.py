"""Minor units as currency units for the risk view and the reports, exactly (money.py)."""

from __future__ import annotations

from decimal import Decimal

from scfledger.exceptions import UnknownCurrency
from scfledger.money import as_decimal, format_amount


def decimal_in(minor: int, currency: str) -> Decimal:
    """`minor` units as an exact Decimal in `currency`: 800000000 CNY -> 8000000.00.

    A currency the ledger does not know (a receivable issued on chain past the gateway's
    checks) is shown in its on-chain units: a report never fails on a member's data."""
    try:
        return as_decimal(minor, currency)
    except UnknownCurrency:
        return Decimal(minor)


def text_in(minor: int, currency: str) -> str:
    """`minor` units as the canonical decimal string in `currency` ("8000000.00")."""
    try:
        return format_amount(minor, currency)
    except UnknownCurrency:
        return str(minor)
