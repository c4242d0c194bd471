"""Amounts as decimal strings in their currency: parsing, formatting, currencies, problems."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import get_currency_precision, list_currencies
from hypothesis import given
from hypothesis import strategies as st

from scfledger.api.errors import error_response
from scfledger.exceptions import (
    AmountMalformed,
    AmountNotAString,
    AmountOutOfRange,
    AmountTooPrecise,
    CurrencyNotAccepted,
    InvalidInput,
    NotExact,
    ScfError,
    UnknownCurrency,
)
from scfledger.money import (
    ISO_MINOR_UNITS,
    MAX_AMOUNT,
    as_decimal,
    check_currency,
    currencies,
    currency_exponent,
    format_amount,
    parse_amount,
)

# ISO 4217 list one, by hand: the currencies without minor units and those with three or
# four (every other active code has two).
ISO_ZERO = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"}
ISO_ZERO |= {"VND", "VUV", "XAF", "XOF", "XPF"}
ISO_THREE = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1000000.00", "CNY", 100_000_000),
        ("1000000", "CNY", 100_000_000),
        ("0.01", "CNY", 1),
        ("0.5", "CNY", 50),
        ("12.3", "USD", 1230),
        ("100", "JPY", 100),
        ("1", "JPY", 1),
        ("1.000", "KWD", 1000),
        ("0.001", "KWD", 1),
        ("2.5", "BHD", 2500),
        ("7.125", "IQD", 7125),  # ISO 4217: 3 digits (CLDR shows none)
    ],
)
def test_parse_amount_reads_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (100_000_000, "CNY", "1000000.00"),
        (5, "CNY", "0.05"),
        (0, "CNY", "0.00"),
        (100, "JPY", "100"),
        (1000, "KWD", "1.000"),
        (1, "BHD", "0.001"),
        (MAX_AMOUNT, "JPY", str(MAX_AMOUNT)),
        (MAX_AMOUNT, "CNY", "3402823669209384634633746074317682114.55"),
        (MAX_AMOUNT, "KWD", "340282366920938463463374607431768211.455"),
    ],
)
def test_format_amount_is_exact_with_the_currency_digits(
    minor: int, currency: str, text: str
) -> None:
    assert format_amount(minor, currency) == text
    assert as_decimal(minor, currency) == Decimal(text)


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.0", "JPY"), ("100.00", "JPY"), ("1.001", "CNY"), ("1.000", "CNY"), ("1.0001", "KWD")],
)
def test_one_digit_too_many_is_refused_not_rounded(text: str, currency: str) -> None:
    with pytest.raises(AmountTooPrecise) as raised:
        parse_amount(text, currency)
    assert raised.value.digits == currency_exponent(currency)


@pytest.mark.parametrize("currency", ["JPY", "CNY", "KWD", "BHD"])
def test_the_largest_amount_is_accepted_and_one_more_minor_unit_is_not(currency: str) -> None:
    largest = format_amount(MAX_AMOUNT, currency)
    assert parse_amount(largest, currency) == MAX_AMOUNT
    with pytest.raises(AmountOutOfRange):
        parse_amount(format_amount(MAX_AMOUNT + 1, currency), currency)
    with pytest.raises(AmountOutOfRange):
        parse_amount("9" * 4000, currency)  # refused before any conversion


def test_a_lower_maximum_bounds_the_amount() -> None:
    assert parse_amount("1.00", "CNY", maximum=100) == 100
    with pytest.raises(AmountOutOfRange):
        parse_amount("1.01", "CNY", maximum=100)


@pytest.mark.parametrize("text", ["0", "0.00", "0.0"])
def test_zero_is_refused_unless_allowed(text: str) -> None:
    with pytest.raises(AmountOutOfRange):
        parse_amount(text, "CNY")
    assert parse_amount(text, "CNY", allow_zero=True) == 0


@pytest.mark.parametrize("text", ["-1", "-0.01", "-0"])
def test_negative_amounts_are_out_of_range(text: str) -> None:
    with pytest.raises(AmountOutOfRange):
        parse_amount(text, "CNY", allow_zero=True)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+1",
        "1e3",
        "1E3",
        " 1",
        "1 ",
        "1\n",
        "1,000.00",
        "1_000",
        "01",
        "00.50",
        "1.",
        ".5",
        "1..0",
        "NaN",
        "Infinity",
        "0x10",
        "\uff11\uff12",  # fullwidth digits: Decimal() reads them
        "\u0661\u0662",  # Arabic-Indic digits
        "1 000",
        "¥100",
    ],
)
def test_anything_but_plain_decimal_notation_is_malformed(text: str) -> None:
    with pytest.raises(AmountMalformed):
        parse_amount(text, "CNY")


@pytest.mark.parametrize("value", [1.0, 0.1, 100, True, False, None, Decimal("1.00"), b"1.00"])
def test_only_strings_are_read(value: Any) -> None:
    with pytest.raises(AmountNotAString):
        parse_amount(value, "CNY")


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_is_ever_accepted_as_an_amount(value: float) -> None:
    with pytest.raises(TypeError):
        parse_amount(value, "CNY")  # type: ignore[arg-type]
    with pytest.raises(NotExact):
        format_amount(value, "CNY")  # type: ignore[arg-type]


@given(st.sampled_from(sorted(currencies())), st.integers(min_value=0, max_value=MAX_AMOUNT))
def test_formatting_then_parsing_gives_back_the_minor_units(currency: str, minor: int) -> None:
    assert parse_amount(format_amount(minor, currency), currency, allow_zero=True) == minor


@given(
    st.sampled_from(["JPY", "CNY", "KWD", "BHD", "USD", "EUR", "CLP", "IQD"]),
    st.from_regex(r"\A(0|[1-9][0-9]{0,30})\Z"),
    st.from_regex(r"\A[0-9]{0,3}\Z"),
)
def test_parsing_then_formatting_is_canonical(currency: str, whole: str, fraction: str) -> None:
    exponent = currency_exponent(currency)
    fraction = fraction[:exponent]
    text = f"{whole}.{fraction}" if fraction else whole
    canonical = f"{whole}.{fraction.ljust(exponent, '0')}" if exponent else whole
    assert format_amount(parse_amount(text, currency, allow_zero=True), currency) == canonical


def test_currencies_are_the_active_legal_tenders() -> None:
    known = currencies()
    assert {"CNY", "USD", "EUR", "HKD", "JPY", "KWD", "BHD", "XCG", "ZWG", "SLE"} <= known
    # Babel knows these too; none is active legal tender: funds codes, metals, SDR, test
    # and no-currency codes, an offshore market code, and withdrawn currencies.
    refused = {"CLF", "USN", "CHE", "XAU", "XDR", "XTS", "XXX", "CNH"}
    refused |= {"DEM", "HRK", "ANG", "SLL", "CUC", "ZWL"}
    assert refused <= set(list_currencies())
    assert not refused & known
    for code in refused | {"cny", "Cny", "CN", "CNYY", "ABC", ""}:
        with pytest.raises(UnknownCurrency):
            currency_exponent(code)


@pytest.mark.parametrize("value", [None, 1, 1.0, b"CNY"])
def test_a_currency_that_is_no_string_is_unknown(value: Any) -> None:
    with pytest.raises(UnknownCurrency):
        currency_exponent(value)
    with pytest.raises(UnknownCurrency):
        parse_amount("1.00", value)


def test_exponents_follow_iso_4217() -> None:
    for code in currencies():
        expected = 0 if code in ISO_ZERO else 3 if code in ISO_THREE else 2
        assert currency_exponent(code) == expected, code


def test_each_iso_correction_still_corrects_babel() -> None:
    """When babel's CLDR data agrees with ISO 4217 again, the correction is dead weight."""
    for code, digits in ISO_MINOR_UNITS.items():
        assert code in currencies()
        assert get_currency_precision(code) != digits, code


@pytest.mark.parametrize(("code", "decimals"), [("CNY", 2), ("USD", 2), ("JPY", 0), ("KWD", 3)])
def test_a_ledger_accepts_currencies_of_its_value_decimals(code: str, decimals: int) -> None:
    assert check_currency(code, value_decimals=decimals) == code


@pytest.mark.parametrize(("code", "decimals"), [("JPY", 2), ("KWD", 2), ("CNY", 0), ("CNY", 3)])
def test_a_ledger_refuses_currencies_of_other_decimals(code: str, decimals: int) -> None:
    with pytest.raises(CurrencyNotAccepted):
        check_currency(code, value_decimals=decimals)


def test_the_consortium_list_narrows_the_currencies() -> None:
    assert check_currency("CNY", value_decimals=2, accepted={"CNY", "HKD"}) == "CNY"
    with pytest.raises(CurrencyNotAccepted):
        check_currency("USD", value_decimals=2, accepted={"CNY", "HKD"})
    with pytest.raises(UnknownCurrency):
        check_currency("XYZ", value_decimals=2, accepted={"XYZ"})


@pytest.mark.parametrize(
    ("error", "slug"),
    [
        (AmountNotAString(field="face_amount", value=1.5), "amount-not-a-string"),
        (AmountMalformed(field="face_amount", text="1e3"), "amount-malformed"),
        (
            AmountTooPrecise(field="face_amount", text="1.001", currency="CNY", digits=2),
            "amount-too-precise",
        ),
        (AmountOutOfRange(field="face_amount", text="-1", reason="x"), "amount-out-of-range"),
        (UnknownCurrency("XYZ"), "currency-unknown"),
        (CurrencyNotAccepted(code="JPY", reason="x"), "currency-not-accepted"),
        (NotExact(field="rate", value=0.1, expected="a Decimal"), "number-not-exact"),
    ],
)
def test_each_money_error_is_a_422_problem_of_its_own_type(error: ScfError, slug: str) -> None:
    assert isinstance(error, InvalidInput)
    response = error_response(error)
    body = json.loads(bytes(response.body))
    assert response.status_code == 422
    assert body["type"] == f"https://scfledger.dev/problems/{slug}"
    assert body["detail"] == str(error)
