"""The SDK's amounts: decimal strings from a Decimal or a str; a float, an int or a bool is
a TypeError before anything is sent."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from scfledger_client import ScfClient, amount
from scfledger_client.models import IssueIn


@pytest.mark.parametrize(
    ("given_amount", "written"),
    [
        (Decimal("1000000.00"), "1000000.00"),
        (Decimal("1E+6"), "1000000"),  # plain notation, never an exponent
        (Decimal("0.10"), "0.10"),
        ("1000000.00", "1000000.00"),
    ],
)
def test_a_decimal_or_a_string_is_written_as_a_decimal_string(
    given_amount: Decimal | str, written: str
) -> None:
    assert amount(given_amount) == written


@given(st.one_of(st.floats(), st.integers(), st.booleans()))
def test_a_float_an_int_or_a_bool_is_a_type_error(number: float | int | bool) -> None:
    with pytest.raises(TypeError, match="not a"):
        amount(number)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
def test_a_decimal_that_is_no_number_is_refused(value: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        amount(value)


def test_models_take_no_number_for_an_amount() -> None:
    """The generated bodies type amounts as `str` (pydantic does not turn 1000000 into
    "1000000"): a number never reaches the gateway through them."""
    with pytest.raises(ValidationError):
        IssueIn(
            creditor="0x" + "ab" * 20,
            face_amount=1_000_000,  # type: ignore[arg-type]
            due_date=1,
            document_hash="0x" + "0" * 64,
        )


@pytest.mark.parametrize("limit", [5_000_000, 5_000_000.0, True])
def test_the_policys_amount_refuses_a_number_before_any_request(limit: object) -> None:
    sent: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    client = ScfClient("http://gateway.invalid", transport=httpx.MockTransport(gateway))
    with client, pytest.raises(TypeError, match=r"decimal\.Decimal or a str"):
        client.set_checker_policy([], two_checker_amount=limit)  # type: ignore[arg-type]
    assert sent == []
