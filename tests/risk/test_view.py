"""The API's risk view: the indicators with every amount a decimal string in the request's
currency, and nothing else changed."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from scfledger.risk import indicators, view
from scfledger.risk.indicators import CircularTransfers, DebtorRecord, FinancierExposure
from tests.risk.test_policy import BANK, DEBTOR, clean

PAIRS = [
    (indicators.RiskIndicators, view.RiskIndicatorsOut),
    (indicators.RequestFacts, view.RequestFactsOut),
    (indicators.DebtorRecord, view.DebtorRecordOut),
    (indicators.FinancierExposure, view.FinancierExposureOut),
    (indicators.RequesterHistory, view.RequesterHistoryOut),
    (indicators.CircularTransfers, view.CircularTransfersOut),
]


@pytest.mark.parametrize(("inner", "shown"), PAIRS)
def test_the_view_has_every_field_of_the_indicators(inner: type, shown: type) -> None:
    assert [f.name for f in dataclasses.fields(shown)] == [
        f.name for f in dataclasses.fields(inner)
    ]


def test_amounts_become_decimal_strings_in_the_request_currency() -> None:
    base = clean(
        debtor=DebtorRecord(DEBTOR, 10, 0, 10_000, 700, 2, 5),
        exposure=FinancierExposure(BANK, 800_000_000, 900_000_000, 800_000_500, 900_000_500, 0),
        circular=CircularTransfers(1, 1, ("0xA",)),
    )
    shown = view.risk_view(base)
    assert shown.request.currency == "CNY"
    assert (shown.request.amount, shown.request.repayment, shown.request.fees) == (
        "5.00",
        "5.15",
        "0.00",
    )
    assert (shown.request.piece_value, shown.request.face_amount) == ("10.00", "10.00")
    assert (shown.debtor.open_overdue_value, shown.debtor.defaulted_value) == ("7.00", "0.05")
    assert shown.exposure == view.FinancierExposureOut(
        BANK, "8000000.00", "9000000.00", "8000005.00", "9000005.00", 0
    )
    assert shown.circular.value == "0.01"
    assert shown.requester.value_received_from_debtor == "0.00"
    # Counts, rates and the rest pass through unchanged.
    assert (shown.request.advance_bps, shown.debtor.open_overdue_pieces) == (5_000, 2)
    assert (shown.piece, shown.velocity) == (base.piece, base.velocity)
    jpy = view.risk_view(replace(base, request=replace(base.request, currency="JPY")))
    assert (jpy.request.amount, jpy.exposure.to_debtor) == ("500", "800000000")


def test_a_currency_unknown_to_the_gateway_shows_its_on_chain_units() -> None:
    base = clean()
    shown = view.risk_view(replace(base, request=replace(base.request, currency="XYZ")))
    assert (shown.request.currency, shown.request.amount) == ("XYZ", "500")
