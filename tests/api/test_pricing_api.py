"""Pricing over HTTP: quotes (docs/money.md's worked examples through the API), business
days before signing, a quote's terms offered and agreed on chain as quoted, the comparison
of two financiers' offers, and every refusal with its problem type."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from web3 import HTTPProvider, Web3

from scfledger.chain.contract_types import record
from scfledger.chain.deploy import contract_at
from scfledger.chain.generated import Request as ChainRequest
from scfledger.chain.generated import Role
from scfledger.db.projections import FinancingRequest
from scfledger.db.session import create_db_engine, session_factory
from scfledger.devchain.seed import DEMO_MEMBERS
from scfledger.people.apikeys import create_api_key
from scfledger.services.pricing import given_for
from scfledger_client import ApiProblem, ScfClient
from scfledger_client.models import QuoteIn
from tests.support.api import assert_problem, cny, event, write
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

# A holiday notice for 2027 (SCF_HOLIDAY_NOTICE) made up for the tests, not the State
# Council's: a Monday off and the Saturday before it worked in lieu.
NOTICE = {
    "years": [2027],
    "holidays": {"2027-05-03": "Labour Day"},
    "working_days": {"2027-05-01": "Labour Day"},
}
VALUE = "1000000.00"  # of the piece supplier1 holds
FACTORED = "500000.00"  # of the piece supplier1 factors


@dataclass(frozen=True)
class Ledger:
    api: Served
    token: int  # supplier1's piece of VALUE, due on `due`
    factored: int  # supplier1's piece of FACTORED, due on `due`
    due: date  # a Wednesday 120 to 126 days after the chain's clock
    funding: date  # a business day (weekends calendar) after the chain's clock


def _wednesday_after(day: date) -> date:
    return day + timedelta(days=(2 - day.weekday()) % 7 or 7)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    directory = tmp_path_factory.mktemp("pricing")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    notice = directory / "holiday-notice.json"
    notice.write_text(json.dumps(NOTICE), encoding="utf-8")
    members = {**DEMO_MEMBERS, "bank2": Role.FINANCIER}
    with served_gateway(directory, url, members, holiday_notice=notice) as api:
        today = datetime.fromtimestamp(api.chain_time(), UTC).date()
        due = _wednesday_after(today + timedelta(days=120))
        funding = _wednesday_after(today)
        tokens = []
        for fen, invoice in ((100_000_000, "invoice 1"), (50_000_000, "invoice 2")):
            body = {
                "creditor": api.address("supplier1"),
                "face_amount": cny(fen),
                "currency": "CNY",
                "due_date": int(datetime.combine(due, time(), UTC).timestamp()),
                "document_hash": api.document("core", invoice),
            }
            with api.client("core") as core:
                issued = write(core, "/v1/receivables", invoice, body).json()
            slot = int(event(issued, "ReceivableIssued")["slot"])
            tokens.append(int(event(issued, "ReceivableIssued")["tokenId"]))
            with api.client("supplier1") as supplier1:
                write(supplier1, f"/v1/receivables/{slot}/accept", f"accept {invoice}")
        yield Ledger(api, tokens[0], tokens[1], due, funding)


def quote(api: Served, body: dict[str, Any], participant: str = "supplier1") -> httpx.Response:
    with api.client(participant) as client:
        return client.post("/v1/pricing/quote", json=body)


def quoted(api: Served, body: dict[str, Any], participant: str = "supplier1") -> dict[str, Any]:
    response = quote(api, body, participant)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def percent(text: str, places: int = 4) -> Decimal:
    return round(Decimal(text), places)


EXAMPLE_1 = {
    "method": "interest",
    "amount": "8000000.00",
    "currency": "CNY",
    "funding_date": "2026-03-02",
    "due_date": "2026-08-29",
    "rate": "4.35",
    "fees": {"flat": "500.00", "bps": "10"},
}


# -- docs/money.md's worked examples ------------------------------------------------------


def test_interest_bearing_example_as_docs_money_md_works_it(ledger: Ledger) -> None:
    """Example 1 on the dates as given (180 days, ACT/360 by default for CNY)."""
    body = quoted(ledger.api, EXAMPLE_1 | {"adjustment": "unadjusted"})
    assert (body["day_count"], body["basis"], body["days"], body["accrual_days"]) == (
        "ACT/360",
        360,
        180,
        180,
    )
    assert body["year_fraction"] == "0.5"
    assert (body["interest"], body["discount"]) == ("174000.00", None)
    assert (body["advance"], body["fees"], body["received"]) == (
        "8000000.00",
        "8500.00",
        "7991500.00",
    )
    assert (body["repayment"], body["owed"]) == ("8174000.00", "8174000.00")
    assert percent(body["cost"]["simple"]) == Decimal("4.6308")
    assert percent(body["cost"]["effective"]) == Decimal("4.6851")
    assert body["terms"] == {
        "advance": "8000000.00",
        "repayment": "8174000.00",
        "fees": "8500.00",
        "fund_by": int(datetime(2026, 3, 3, tzinfo=UTC).timestamp()) - 1,
    }


def test_a_due_date_on_a_saturday_moves_to_monday_by_default_and_is_priced_so(
    ledger: Ledger,
) -> None:
    """The same loan on the china calendar (CNY's default), modified following: Saturday 29
    August 2026 becomes Monday 31 August; two more days of interest."""
    body = quoted(ledger.api, EXAMPLE_1)
    assert (body["calendar"], body["adjustment"]) == ("china", "modified_following")
    assert body["funding_date"] == {
        "given": "2026-03-02",
        "adjusted": "2026-03-02",
        "moved": False,
        "reason": None,
    }
    assert body["due_date"] == {
        "given": "2026-08-29",
        "adjusted": "2026-08-31",
        "moved": True,
        "reason": "weekend",
    }
    assert body["days"] == 182
    assert body["interest"] == "175933.33"  # 8,000,000 x 4.35 % x 182 / 360 = 175,933.333...


def test_discount_example(ledger: Ledger) -> None:
    body = quoted(
        ledger.api,
        {
            "method": "discount",
            "amount": "10000000.00",
            "currency": "CNY",
            "funding_date": "2026-03-02",
            "due_date": "2026-08-29",
            "rate": "5",
            "adjustment": "unadjusted",
            "fees": {"bps": "20"},
        },
    )
    assert (body["discount"], body["interest"]) == ("250000.00", None)
    assert (body["advance"], body["fees"], body["received"]) == (
        "9750000.00",
        "20000.00",
        "9730000.00",
    )
    assert (body["repayment"], body["owed"]) == ("0.00", "10000000.00")  # without recourse
    assert percent(body["cost"]["simple"]) == Decimal("5.6269")
    with_recourse = quoted(
        ledger.api,
        {
            "method": "discount",
            "amount": "10000000.00",
            "currency": "CNY",
            "funding_date": "2026-03-02",
            "due_date": "2026-08-29",
            "rate": "5",
            "adjustment": "unadjusted",
            "recourse": True,
        },
    )
    assert with_recourse["terms"]["repayment"] == "10000000.00"


def test_exact_cost_is_five_percent_and_its_compound(ledger: Ledger) -> None:
    """Example 3: 365,000.00 at 5 % ACT/365F for 73 days costs exactly 5 % simple and
    1.01^5 - 1 = 5.10100501 % effective."""
    body = quoted(
        ledger.api,
        {
            "method": "interest",
            "amount": "365000.00",
            "currency": "CNY",
            "funding_date": "2026-03-02",
            "due_date": "2026-05-14",
            "rate": "5",
            "day_count": "ACT/365F",
        },
    )
    assert (body["days"], body["interest"]) == (73, "3650.00")
    assert body["cost"] == {"simple": "5", "effective": "5.10100501"}


@pytest.mark.parametrize(
    ("currency", "amount", "dates", "rate", "interest"),
    [
        # Example 5: JPY has no minor digits; ACT/365F is its default.
        ("JPY", "10000000", ("2026-01-05", "2026-04-06"), "1.5", "37397"),
        # Example 6: KWD has three; ACT/360.
        ("KWD", "1000.000", ("2026-06-01", "2026-07-01"), "6", "5.000"),
        # Example 4: half a fen is charged (half up).
        ("CNY", "10.00", ("2026-03-02", "2026-06-10"), "0.18", "0.01"),
    ],
)
def test_amounts_are_in_their_currency_digits(
    ledger: Ledger,
    currency: str,
    amount: str,
    dates: tuple[str, str],
    rate: str,
    interest: str,
) -> None:
    body = quoted(
        ledger.api,
        {
            "method": "interest",
            "amount": amount,
            "currency": currency,
            "funding_date": dates[0],
            "due_date": dates[1],
            "rate": rate,
        },
    )
    assert (body["currency"], body["interest"], body["amount"]) == (currency, interest, amount)


def test_penalty_interest_for_paying_30_days_late(ledger: Ledger) -> None:
    """Example 7: 1,000,000.00 owed (a factored piece's value), paid 30 days after its due
    date at 6.525 % (4.35 % x 1.5) ACT/360: 5,437.50; nothing when paid on time."""
    body = {
        "method": "discount",
        "amount": "1000000.00",
        "currency": "CNY",
        "funding_date": "2026-03-02",
        "due_date": "2026-06-30",
        "rate": "4.35",
        "penalty_rate": "6.525",
        "paid_on": "2026-07-30",
    }
    late = quoted(ledger.api, body)["penalty"]
    assert late == {"rate": "6.525", "paid_on": "2026-07-30", "days_late": 30, "amount": "5437.50"}
    on_time = quoted(ledger.api, body | {"paid_on": "2026-06-30"})["penalty"]
    assert (on_time["days_late"], on_time["amount"]) == (0, "0.00")


# -- business days ------------------------------------------------------------------------


def calendar(api: Served, path: str, **params: str) -> httpx.Response:
    with api.client("supplier1") as client:
        return client.get(f"/v1/calendars{path}", params=params)


def test_calendars_are_listed_with_their_years_and_currencies(ledger: Ledger) -> None:
    listed = {c["name"]: c for c in calendar(ledger.api, "").json()}
    # chinesecalendar 1.11.0 knows 2004-2026; the operator's notice (NOTICE) adds 2027.
    assert (listed["china"]["years"], listed["china"]["currencies"]) == ([2004, 2027], ["CNY"])
    assert (listed["weekends"]["years"], listed["weekends"]["currencies"]) == (None, [])


def test_the_operators_holiday_notice_moves_a_date_in_its_year(ledger: Ledger) -> None:
    """Monday 3 May 2027 is a holiday in NOTICE: modified following moves it to Tuesday; the
    Saturday before, worked in lieu, is a business day."""
    moved = calendar(ledger.api, "/china/adjust", date="2027-05-03").json()
    assert (moved["adjusted"], moved["moved"], moved["reason"]) == (
        "2027-05-04",
        True,
        "Labour Day",
    )
    days = calendar(ledger.api, "/china/days", **{"from": "2027-05-01", "to": "2027-05-03"})
    assert [(d["day"], d["business_day"], d["holiday"]) for d in days.json()["days"]] == [
        ("2027-05-01", True, "Labour Day"),
        ("2027-05-02", False, None),
        ("2027-05-03", False, "Labour Day"),
    ]


def test_national_day_2026_and_its_in_lieu_saturday(ledger: Ledger) -> None:
    """1-7 October 2026 off; Saturday 10 October worked in lieu (State Council notice)."""
    response = calendar(ledger.api, "/china/days", **{"from": "2026-10-01", "to": "2026-10-10"})
    assert response.status_code == 200, response.text
    days = {d["day"]: d for d in response.json()["days"]}
    assert len(days) == 10
    business = sorted(d for d, v in days.items() if v["business_day"])
    assert business == ["2026-10-08", "2026-10-09", "2026-10-10"]
    assert days["2026-10-01"]["holiday"] == "National Day"
    assert days["2026-10-10"] == {
        "day": "2026-10-10",
        "business_day": True,
        "weekend": True,
        "holiday": "National Day",
        "in_lieu_working_day": True,
    }
    assert days["2026-10-09"]["in_lieu_working_day"] is False


@pytest.mark.parametrize(
    ("day", "convention", "adjusted", "reason"),
    [
        ("2026-10-01", "following", "2026-10-08", "National Day"),
        ("2026-10-01", "modified_following", "2026-10-08", "National Day"),
        ("2026-10-01", "preceding", "2026-09-30", "National Day"),
        ("2026-10-01", "modified_preceding", "2026-10-08", "National Day"),
        ("2026-10-01", "unadjusted", "2026-10-01", "National Day"),
        ("2026-05-01", "modified_preceding", "2026-05-06", "Labour Day"),
        ("2026-10-10", "following", "2026-10-10", None),  # a worked Saturday stays
        ("2026-11-28", "following", "2026-11-30", "weekend"),
    ],
)
def test_a_date_is_adjusted_as_the_form_shows_it_before_signing(
    ledger: Ledger, day: str, convention: str, adjusted: str, reason: str | None
) -> None:
    response = calendar(ledger.api, "/china/adjust", date=day, convention=convention)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "calendar": "china",
        "convention": convention,
        "given": day,
        "adjusted": adjusted,
        "moved": adjusted != day,
        "reason": reason,
    }


def test_a_funding_date_on_national_day_is_funded_on_the_8th(ledger: Ledger) -> None:
    body = quoted(
        ledger.api,
        {
            "method": "discount",
            "amount": "10000000.00",
            "currency": "CNY",
            "funding_date": "2026-10-01",
            "due_date": "2026-12-31",
            "rate": "5",
        },
    )
    assert body["funding_date"] == {
        "given": "2026-10-01",
        "adjusted": "2026-10-08",
        "moved": True,
        "reason": "National Day",
    }
    assert body["days"] == 84  # from 8 October
    assert body["terms"]["fund_by"] == int(datetime(2026, 10, 9, tzinfo=UTC).timestamp()) - 1


# -- a piece: quote, offer, agree on chain, compare ------------------------------------------


def to_minor(terms: dict[str, Any]) -> dict[str, Any]:
    """A quote's `terms` in minor units (fen), as the chain holds the agreed terms."""
    return {k: v if k == "fund_by" else int(Decimal(v) * 100) for k, v in terms.items()}


def test_two_financiers_quote_offer_and_the_requester_compares_and_accepts(
    ledger: Ledger,
) -> None:
    api = ledger.api
    with api.client("supplier1") as supplier1:
        asked = {
            "token_id": ledger.token,
            "financiers": [api.address("bank"), api.address("bank2")],
            "terms": {"advance": cny(80_000_000), "repayment": cny(81_000_000), "fees": "0.00",
                      "fund_by": int(datetime.combine(ledger.funding, time(), UTC).timestamp())},
            "mode": "pledge",
            "recourse": False,
        }  # fmt: skip
        requested = write(supplier1, "/v1/financing-requests", "ask", asked).json()
    request_id = int(event(requested, "FinancingRequested")["requestId"])
    priced = {
        "method": "interest",
        "token_id": ledger.token,
        "amount": "800000.00",  # a loan against the piece: 80 % of its value
        "funding_date": ledger.funding.isoformat(),
        "calendar": "weekends",  # CNY's china calendar knows 2026 only; the piece is due later
    }
    # bank: 4 % without fees; bank2: 3.5 % with 1 % of fees (dearer for this term).
    quotes = {
        "bank": quoted(api, priced | {"rate": "4"}, "bank"),
        "bank2": quoted(api, priced | {"rate": "3.5", "fees": {"bps": "100"}}, "bank2"),
    }
    for bank, q in quotes.items():
        assert q["due_date"] == {
            "given": ledger.due.isoformat(),
            "adjusted": ledger.due.isoformat(),
            "moved": False,
            "reason": None,
        }
        with api.client(bank) as client:
            offer = write(client, f"/v1/financing-requests/{request_id}/offers", f"o-{bank}",
                          q["terms"])  # fmt: skip
            assert offer.status_code == 202, offer.text
            assert offer.json()["error"] is None, offer.text

    with api.client("supplier1") as supplier1:
        compared = supplier1.get(f"/v1/financing-requests/{request_id}/offers/comparison")
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert (body["value"], body["currency"], body["mode"]) == (VALUE, "CNY", "pledge")
    ranked = body["offers"]
    assert [(o["rank"], o["financier"]) for o in ranked] == [
        (1, api.address("bank")),
        (2, api.address("bank2")),
    ]
    for o, bank in zip(ranked, ("bank", "bank2"), strict=True):
        q = quotes[bank]
        assert o["terms"] == q["terms"]
        assert (o["received"], o["given"], o["days"]) == (q["received"], q["repayment"], q["days"])
        assert o["cost"] == q["cost"]  # the due date is a business day: the same term
        assert o["accepted"] is False

    # Each financier sees its own offer only; anyone else, not the request.
    for bank in ("bank", "bank2"):
        with api.client(bank) as client:
            own = client.get(f"/v1/financing-requests/{request_id}/offers/comparison").json()
        assert [o["financier"] for o in own["offers"]] == [api.address(bank)]
    with api.client("supplier2") as outsider:
        assert_problem(
            outsider.get(f"/v1/financing-requests/{request_id}/offers/comparison"), 404, "not-found"
        )

    cheapest = ranked[0]
    with api.client("supplier1") as supplier1:
        accepted = write(supplier1, f"/v1/financing-requests/{request_id}/accept", "take",
                         {"financier": cheapest["financier"],
                          "terms": cheapest["terms"]})  # fmt: skip
        assert accepted.json()["error"] is None, accepted.text
        after = supplier1.get(f"/v1/financing-requests/{request_id}/offers/comparison").json()
    assert [o["accepted"] for o in after["offers"]] == [True, False]

    # The agreed amounts on chain are the quote's.
    w3 = Web3(HTTPProvider(api.chain_url))
    financing = contract_at(
        w3, "Financing", w3.to_checksum_address(api.seeded.contracts["Financing"])
    )
    agreed = record(ChainRequest, financing.functions.getRequest(request_id).call()).agreed
    assert tuple(agreed) == tuple(to_minor(quotes["bank"]["terms"]).values())
    assert quotes["bank"]["terms"]["advance"] == "800000.00"
    assert quotes["bank"]["terms"]["repayment"] == quotes["bank"]["owed"]


def test_a_factored_piece_gives_its_value_whatever_the_repayment(ledger: Ledger) -> None:
    """Factoring without recourse: the piece is assigned, the debtor pays its value to the
    financier. The comparison counts the value as given, as the quote counts it owed."""
    api = ledger.api
    fund_by = int(datetime.combine(ledger.funding, time(), UTC).timestamp())
    with api.client("supplier1") as supplier1:
        asked = {"token_id": ledger.factored, "financiers": [api.address("bank")],
                 "terms": {"advance": cny(40_000_000), "repayment": "0.00", "fees": "0.00",
                           "fund_by": fund_by},
                 "mode": "factoring", "recourse": False}  # fmt: skip
        requested = write(supplier1, "/v1/financing-requests", "factor", asked).json()
    request_id = int(event(requested, "FinancingRequested")["requestId"])
    q = quoted(
        api,
        {
            "method": "discount",
            "token_id": ledger.factored,
            "rate": "5",
            "fees": {"bps": "10"},
            "funding_date": ledger.funding.isoformat(),
            "calendar": "weekends",
        },
        "bank",
    )
    assert (q["amount"], q["owed"], q["terms"]["repayment"]) == (FACTORED, FACTORED, "0.00")
    with api.client("bank") as bank:
        made = write(bank, f"/v1/financing-requests/{request_id}/offers", "o", q["terms"])
        assert made.json()["error"] is None, made.text
    with api.client("supplier1") as supplier1:
        (offer,) = supplier1.get(f"/v1/financing-requests/{request_id}/offers/comparison").json()[
            "offers"
        ]
    assert (offer["given"], offer["received"]) == (FACTORED, q["received"])
    assert offer["cost"] == q["cost"]


def test_a_key_without_the_read_scope_may_not_price(ledger: Ledger) -> None:
    """A quote is a read made with POST: it needs the read scope, as a GET does."""
    api = ledger.api
    engine = create_db_engine(api.database_url)
    try:
        with session_factory(engine)() as session:
            keys = {
                scope: create_api_key(
                    session=session,
                    participant="supplier1",
                    address=api.address("supplier1"),
                    scopes=[scope],
                )
                for scope in ("read", "approve")
            }
            session.commit()
    finally:
        engine.dispose()

    def priced(scope: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {keys[scope]}"}
        return httpx.post(f"{api.url}/v1/pricing/quote", json=PLAIN, headers=headers)

    assert priced("read").status_code == 200
    assert_problem(priced("approve"), 403, "scope-required")


def test_a_quote_on_a_piece_takes_its_value_and_due_date(ledger: Ledger) -> None:
    body = quoted(
        ledger.api,
        {
            "method": "discount",
            "token_id": ledger.token,
            "funding_date": ledger.funding.isoformat(),
            "rate": "5",
            "calendar": "weekends",
        },
    )
    assert (body["token_id"], body["amount"], body["currency"]) == (ledger.token, VALUE, "CNY")
    assert body["due_date"]["given"] == ledger.due.isoformat()
    assert body["days"] == (ledger.due - ledger.funding).days


def test_what_a_factored_piece_gives_is_its_value_with_or_without_recourse() -> None:
    """As the Financing contract settles: a pledge is repaid; a factored piece is assigned,
    and its debtor pays its value to the financier (recourse only if the debtor defaults)."""
    pledge = FinancingRequest(mode="pledge", recourse=False)
    assert given_for(pledge, repayment=820, value=1_000) == 820
    for recourse in (False, True):
        factoring = FinancingRequest(mode="factoring", recourse=recourse)
        assert given_for(factoring, repayment=820, value=1_000) == 1_000


# -- refusals -----------------------------------------------------------------------------

PLAIN = {
    "method": "interest",
    "amount": "1000.00",
    "currency": "CNY",
    "funding_date": "2026-03-02",
    "due_date": "2026-06-01",
    "rate": "4",
}


@pytest.mark.parametrize(
    ("change", "slug"),
    [
        ({"amount": 1000}, "amount-not-a-string"),
        ({"amount": 1000.5}, "amount-not-a-string"),
        ({"amount": True}, "amount-not-a-string"),
        ({"amount": "1e6"}, "amount-malformed"),
        ({"amount": "1,000.00"}, "amount-malformed"),
        ({"amount": "1.001"}, "amount-too-precise"),
        ({"amount": "0"}, "amount-out-of-range"),
        ({"amount": "-1"}, "amount-out-of-range"),
        ({"amount": str(2**128)}, "amount-out-of-range"),
        ({"fees": {"flat": 5}}, "amount-not-a-string"),
        ({"fees": {"flat": "0.001"}}, "amount-too-precise"),
        ({"currency": "XYZ"}, "currency-unknown"),
        ({"currency": "cny"}, "currency-unknown"),
        ({"currency": 156}, "currency-unknown"),
        ({"rate": 4.35}, "number-not-exact"),
        ({"rate": "4,35"}, "rate-invalid"),
        ({"rate": "101"}, "rate-invalid"),
        ({"rate": "0.000000001"}, "rate-invalid"),
        ({"fees": {"bps": "10001"}}, "rate-invalid"),
        ({"penalty_rate": "x", "paid_on": "2026-07-01"}, "rate-invalid"),
        ({"day_count": "ACT/366"}, "convention-unknown"),
        ({"calendar": "mars"}, "convention-unknown"),
        ({"adjustment": "nearest"}, "convention-unknown"),
        ({"due_date": "2028-03-01"}, "calendar-not-covered"),
        ({"funding_date": "2003-12-31"}, "calendar-not-covered"),
        ({"due_date": "2026-03-02"}, "offer-not-viable"),
        ({"due_date": "2026-01-05"}, "offer-not-viable"),
        ({"fees": {"flat": "1000.00"}}, "offer-not-viable"),
        # 100 % a year for four years: the discount takes the whole value.
        (
            {"method": "discount", "rate": "100", "calendar": "weekends", "due_date": "2030-03-04"},
            "offer-not-viable",
        ),
        ({"amount": None}, "invalid-input"),
        ({"penalty_rate": "6"}, "invalid-input"),
        ({"funding_date": "2026-13-01"}, "validation-error"),
        ({"funding_date": 1_772_409_600}, "validation-error"),
        ({"method": "loan"}, "validation-error"),
        ({"surprise": 1}, "validation-error"),
    ],
)
def test_a_bad_quote_is_refused_with_its_problem(
    ledger: Ledger, change: dict[str, Any], slug: str
) -> None:
    assert_problem(quote(ledger.api, PLAIN | change), 422, slug)


def test_a_quote_on_a_piece_is_refused_what_does_not_fit_it(ledger: Ledger) -> None:
    on_piece = {"method": "interest", "token_id": ledger.token, "rate": "4",
                "funding_date": ledger.funding.isoformat(), "calendar": "weekends"}  # fmt: skip
    api = ledger.api
    assert_problem(quote(api, on_piece | {"amount": "1000000.01"}), 422, "amount-out-of-range")
    assert_problem(quote(api, on_piece | {"currency": "CNY"}), 422, "invalid-input")
    assert_problem(quote(api, on_piece | {"due_date": "2026-12-01"}), 422, "invalid-input")
    discount = on_piece | {"method": "discount", "amount": "1.00"}
    assert_problem(quote(api, discount), 422, "invalid-input")
    # Funded on the day the piece is due: no term.
    funded_late = on_piece | {"funding_date": ledger.due.isoformat()}
    assert_problem(quote(api, funded_late), 422, "offer-not-viable")
    # A piece the caller does not see is unknown to it.
    assert_problem(quote(api, on_piece, "supplier2"), 404, "not-found")
    assert_problem(quote(api, on_piece | {"token_id": 10**9}), 404, "not-found")


@pytest.mark.parametrize(
    ("path", "params", "status", "slug"),
    [
        ("/mars/days", {"from": "2026-10-01", "to": "2026-10-02"}, 422, "convention-unknown"),
        ("/china/days", {"from": "2028-01-01", "to": "2028-01-02"}, 422, "calendar-not-covered"),
        ("/china/days", {"from": "2026-10-02", "to": "2026-10-01"}, 422, "invalid-input"),
        ("/weekends/days", {"from": "2026-01-01", "to": "2027-01-02"}, 422, "invalid-input"),
        ("/china/days", {"from": "2026-10-01"}, 422, "validation-error"),
        (
            "/china/adjust",
            {"date": "2026-10-01", "convention": "nearest"},
            422,
            "convention-unknown",
        ),
        ("/china/adjust", {"date": "2028-10-01"}, 422, "calendar-not-covered"),
        ("/mars/adjust", {"date": "2026-10-01"}, 422, "convention-unknown"),
        ("/china/adjust", {"date": "1 October"}, 422, "validation-error"),
    ],
)
def test_a_bad_calendar_request_is_refused_with_its_problem(
    ledger: Ledger, path: str, params: dict[str, str], status: int, slug: str
) -> None:
    assert_problem(calendar(ledger.api, path, **params), status, slug)


def test_pricing_needs_a_signed_in_caller(ledger: Ledger) -> None:
    with ledger.api.client() as anonymous:
        assert_problem(anonymous.post("/v1/pricing/quote", json=PLAIN), 401, "unauthenticated")
        assert_problem(anonymous.get("/v1/calendars"), 401, "unauthenticated")


def test_the_sdk_quotes_and_reads_calendars(ledger: Ledger) -> None:
    api = ledger.api
    with ScfClient(api.url, api_key=api.seeded.api_keys["supplier1"]) as client:
        body = client.quote(QuoteIn.model_validate(EXAMPLE_1 | {"adjustment": "unadjusted"}))
        assert (body.interest, body.terms.repayment) == ("174000.00", "8174000.00")
        assert [c.name for c in client.calendars()] == ["china", "weekends"]
        days = client.calendar_days("china", date(2026, 10, 9), date(2026, 10, 10))
        assert [(d.day, d.in_lieu_working_day) for d in days.days] == [
            (date(2026, 10, 9), False),
            (date(2026, 10, 10), True),
        ]
        moved = client.adjust_date("china", date(2026, 10, 1), "preceding")
        assert (moved.adjusted, moved.reason) == (date(2026, 9, 30), "National Day")
        with pytest.raises(ApiProblem) as refused:
            client.adjust_date("mars", date(2026, 10, 1))
        assert refused.value.type == "https://scfledger.dev/problems/convention-unknown"
