"""Amounts in the API (issue 16, item 1): decimal strings in their currency, both ways.

`"face_amount": "1000000.00"` issues one million yuan (100,000,000 fen on chain), never
10,000.00; a JSON number, a boolean, null, malformed text, a negative, zero where it is
refused, more decimals than the currency has or more than the ledger holds are each their
own 422 problem, and write nothing; currencies are ISO 4217 codes the consortium accepts;
events show `CNY` and string amounts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from sqlalchemy import create_engine, func, select
from web3 import Web3

from scfledger.api import draft_schemas, fields, schemas
from scfledger.chain.contract_types import record
from scfledger.chain.deploy import contract_at
from scfledger.chain.generated import Receivable
from scfledger.db.drafts import Draft
from scfledger.db.models import Operation
from scfledger.money import MAX_AMOUNT, format_amount
from scfledger.services.ledger_money import LedgerMoney
from tests.support.api import assert_problem, event, write
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

DAY = 86_400


@dataclass
class World:
    api: Served
    token: int  # an active piece of 10,000.00 CNY held by supplier1
    request: int  # a financing request of supplier1 on another piece, asked of the bank


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("amounts")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as api:
        token = issued(api, "w-1", "10000.00")
        financed = issued(api, "w-2", "10000.00")
        due = api.chain_time() + 20 * DAY
        ask = {
            "token_id": financed,
            "financiers": [api.address("bank")],
            "terms": {"advance": "9000.00", "repayment": "0", "fees": "0", "fund_by": due},
        }
        with api.client("supplier1") as supplier1:
            asked = write(supplier1, "/v1/financing-requests", "w-ask", ask)
        assert asked.status_code == 202, asked.text
        request = int(event(asked.json(), "FinancingRequested")["requestId"])
        yield World(api, token, request)


def issued(api: Served, key: str, face_amount: str) -> int:
    """core issues `face_amount` CNY to supplier1, who accepts: the root piece's token id."""
    body = issue_body(api, key, face_amount)
    with api.client("core") as core:
        response = write(core, "/v1/receivables", key, body)
    assert response.status_code == 202, response.text
    slot = int(event(response.json(), "ReceivableIssued")["slot"])
    with api.client("supplier1") as supplier1:
        assert write(supplier1, f"/v1/receivables/{slot}/accept", f"{key}-a").status_code == 202
    return int(event(response.json(), "ReceivableIssued")["tokenId"])


def issue_body(api: Served, key: str, face_amount: Any, **changes: Any) -> dict[str, Any]:
    return {
        "creditor": api.address("supplier1"),
        "face_amount": face_amount,
        "currency": "CNY",
        "due_date": api.chain_time() + 30 * DAY,
        "document_hash": api.document("core", f"invoice {key}"),
        **changes,
    }


def written(api: Served) -> tuple[int, int]:
    """How many operations and drafts the gateway holds."""
    engine = create_engine(api.database_url)
    try:
        with engine.connect() as connection:
            operations = connection.execute(select(func.count()).select_from(Operation))
            drafts = connection.execute(select(func.count()).select_from(Draft))
            return int(operations.scalar_one()), int(drafts.scalar_one())
    finally:
        engine.dispose()


def test_a_million_yuan_is_issued_as_a_million_yuan(world: World) -> None:
    """The issue's 100x case: "1000000.00" CNY is 100,000,000 fen on chain, and reads back
    as "1000000.00" in the receivable, the piece, the operation's event and the feed."""
    api = world.api
    body = issue_body(api, "million", "1000000.00")
    with api.client("core") as core:
        response = write(core, "/v1/receivables", "million", body)
    assert response.status_code == 202, response.text
    issued_event = event(response.json(), "ReceivableIssued")
    slot, root = int(issued_event["slot"]), int(issued_event["tokenId"])
    assert (issued_event["faceAmount"], issued_event["currency"]) == ("1000000.00", "CNY")
    on_chain = contract_at(
        Web3(Web3.HTTPProvider(api.chain_url)),
        "ReceivableToken",
        Web3.to_checksum_address(api.seeded.contracts["ReceivableToken"]),
    )
    stored = record(Receivable, on_chain.functions.getReceivable(slot).call())
    assert (stored.face_amount, stored.currency) == (100_000_000, b"CNY")
    with api.client("core") as core:
        receivable = core.get(f"/v1/receivables/{slot}").json()
        piece = core.get(f"/v1/pieces/{root}").json()
        feed = core.get("/v1/events", params={"limit": 500}).json()["items"]
    assert (receivable["face_amount"], receivable["currency"]) == ("1000000.00", "CNY")
    assert (receivable["settled_value"], piece["value"]) == ("0.00", "1000000.00")
    shown = next(e for e in feed if e["name"] == "ReceivableIssued" and e["args"]["slot"] == slot)
    assert (shown["args"]["faceAmount"], shown["args"]["currency"]) == ("1000000.00", "CNY")
    assert shown["currency"] == "CNY"


def test_events_show_cny_and_string_amounts_with_their_currency(world: World) -> None:
    """A split and a financing request as the feed shows them: amounts as strings (the
    struct's too), the currency of the piece beside the arguments; events without amounts
    carry none."""
    api = world.api
    with api.client("supplier1") as supplier1:
        split = write(
            supplier1,
            f"/v1/pieces/{world.token}/transfers",
            "ev-split",
            {"to": api.address("supplier2"), "value": "2500.50"},
        )
        assert split.status_code == 202, split.text
        shown = {e["name"]: e for e in split.json()["events"]}
        feed = supplier1.get("/v1/events", params={"limit": 500}).json()["items"]
    assert (shown["PieceSplit"]["args"]["value"], shown["PieceSplit"]["currency"]) == (
        "2500.50",
        "CNY",
    )
    assert shown["TransferValue"]["args"]["_value"] == "2500.50"
    asked = next(
        e
        for e in feed
        if e["name"] == "FinancingRequested" and e["args"]["requestId"] == world.request
    )
    assert asked["args"]["asked"]["advance"] == "9000.00"
    assert (asked["args"]["asked"]["fees"], asked["args"]["asked"]["repayment"]) == ("0.00", "0.00")
    assert asked["currency"] == "CNY"
    accepted = next(e for e in feed if e["name"] == "ReceivableAccepted")
    assert accepted["currency"] is None
    assert "0x" not in json.dumps([e["args"].get("currency") for e in feed])


def test_responses_carry_amounts_as_strings_with_their_currency(world: World) -> None:
    api = world.api
    with api.client("supplier1") as supplier1:
        request = supplier1.get(f"/v1/financing-requests/{world.request}").json()
        moves = supplier1.get(f"/v1/pieces/{world.token}/transfers").json()
        lineage = supplier1.get(f"/v1/pieces/{world.token}/lineage").json()
        piece = supplier1.get(f"/v1/pieces/{world.token}").json()
        escrow = supplier1.get("/v1/escrow").json()
    assert request["currency"] == "CNY"
    assert request["asked"] == {
        "advance": "9000.00",
        "repayment": "0.00",
        "fees": "0.00",
        "fund_by": request["asked"]["fund_by"],
        "fund_by_iso": request["asked"]["fund_by_iso"],
    }
    assert all(m["currency"] == "CNY" and isinstance(m["value"], str) for m in moves)
    # Whether the events test's split ran first on this worker or not, the root's value and
    # its children's add up to the face amount, each a string in CNY.
    tree = lineage["tree"]
    assert (lineage["currency"], tree["value"]) == ("CNY", piece["value"])
    parts = [tree["value"], *(child["value"] for child in tree["children"])]
    assert sum(Decimal(part) for part in parts) == Decimal(piece["receivable"]["face_amount"])
    assert escrow == {"payee": api.address("supplier1"), "amount": "0.00", "currency": "CNY"}


# What each refusal is, whatever the field: the status is 422 for all.
REFUSED: list[tuple[Any, str]] = [
    (1_000_000, "amount-not-a-string"),
    (1_000_000.0, "amount-not-a-string"),
    (True, "amount-not-a-string"),
    (None, "amount-not-a-string"),
    ("1e6", "amount-malformed"),
    (" 1", "amount-malformed"),
    ("1,000.00", "amount-malformed"),
    ("1.001", "amount-too-precise"),
    ("0.001", "amount-too-precise"),  # one digit more than CNY's two
    ("-1", "amount-out-of-range"),
    (format_amount(MAX_AMOUNT + 1, "CNY"), "amount-out-of-range"),  # 2^128 fen
]
ZERO_REFUSED = ("face_amount", "value", "advance")


def requests_with(world: World, field: str, value: Any) -> tuple[str, str, str, dict[str, Any]]:
    """(participant, method, path, body) of a write whose `field` is `value`."""
    api = world.api
    due = api.chain_time() + 20 * DAY
    terms = {"advance": "100.00", "repayment": "0", "fees": "0", "fund_by": due}
    if field == "face_amount":
        return "core", "POST", "/v1/receivables", issue_body(api, f"r-{value!r}", value)
    if field == "value":
        body = {"to": api.address("supplier2"), "value": value}
        return "supplier1", "POST", f"/v1/pieces/{world.token}/transfers", body
    changed = {**terms, field: value}
    if field in ("advance", "repayment", "fees"):
        ask = {"token_id": world.token, "financiers": [api.address("bank")], "terms": changed}
        return "supplier1", "POST", "/v1/financing-requests", ask
    path = f"/v1/financing-requests/{world.request}"
    if field == "offer.advance":
        return "bank", "POST", f"{path}/offers", {**terms, "advance": value}
    assert field == "accept.fees"
    accept = {"financier": api.address("bank"), "terms": {**terms, "fees": value}}
    return "supplier1", "POST", f"{path}/accept", accept


FIELDS = ("face_amount", "value", "advance", "repayment", "fees", "offer.advance", "accept.fees")


@pytest.mark.parametrize("field", FIELDS)
def test_every_amount_field_refuses_what_is_not_an_exact_amount(world: World, field: str) -> None:
    api = world.api
    before = written(api)
    cases = [*REFUSED]
    if field.rpartition(".")[2] in ZERO_REFUSED:
        cases += [("0", "amount-out-of-range"), ("0.00", "amount-out-of-range")]
    for index, (value, slug) in enumerate(cases):
        participant, method, path, body = requests_with(world, field, value)
        with api.client(participant) as client:
            response = client.request(
                method, path, json=body, headers={"Idempotency-Key": f"bad-{field}-{index}"}
            )
        problem = assert_problem(response, 422, slug)
        assert problem["detail"], (field, value)
    assert written(api) == before  # no operation, no draft


@pytest.mark.parametrize("field", ["repayment", "fees"])
def test_zero_is_an_amount_where_nothing_more_is_owed(world: World, field: str) -> None:
    """Zero fees or repayment passes the gateway's checks: the request is on chain."""
    piece = issued(world.api, f"zero-{field}", "200.00")
    participant, method, path, body = requests_with(world, field, "0.00")
    body["token_id"] = piece
    with world.api.client(participant) as client:
        response = write(client, path, f"zero-{field}", body)
    assert (method, response.status_code) == ("POST", 202), response.text
    assert event(response.json(), "FinancingRequested")["asked"][field] == "0.00"


def test_currencies_are_iso_codes_the_consortium_accepts_on_this_ledgers_digits(
    world: World,
) -> None:
    api = world.api
    before = written(api)
    gateway = api.gateway
    assert gateway is not None
    with api.client("core") as core:
        for currency, slug in (
            ("XYZ", "currency-unknown"),
            ("cny", "currency-unknown"),
            ("CNH", "currency-unknown"),  # the offshore market's code, not ISO 4217
            (840, "currency-unknown"),
            ("USD", "currency-not-accepted"),  # real, but not on the default SCF_CURRENCIES
        ):
            body = issue_body(api, f"c-{currency}", "100.00", currency=currency)
            response = core.post(
                "/v1/receivables", json=body, headers={"Idempotency-Key": f"cur-{currency}"}
            )
            assert_problem(response, 422, slug)
        # A consortium that lists JPY on a ledger of two value decimals still refuses it:
        # a yen has no fen.
        default = gateway.money
        gateway.money = LedgerMoney(accepted=("CNY", "JPY"), read_value_decimals=lambda: 2)
        try:
            body = issue_body(api, "c-jpy", "100", currency="JPY")
            response = core.post(
                "/v1/receivables", json=body, headers={"Idempotency-Key": "cur-JPY"}
            )
        finally:
            gateway.money = default
        problem = assert_problem(response, 422, "currency-not-accepted")
        assert "0 minor digits" in problem["detail"]
    assert written(api) == before


def test_the_currencies_are_the_consortiums_with_their_digits(world: World) -> None:
    """`GET /v1/currencies` lists SCF_CURRENCIES in order, each with its ISO 4217 digits,
    whether this ledger's value decimals let it be issued, and the deposit token's."""
    api = world.api
    gateway = api.gateway
    assert gateway is not None
    with api.client("supplier1") as supplier1:
        default = supplier1.get("/v1/currencies")
        assert default.status_code == 200, default.text
        assert default.json() == {
            "value_decimals": 2,
            "currencies": [{"code": "CNY", "minor_digits": 2, "issuable": True, "deposit": True}],
        }
        kept = gateway.money
        gateway.money = LedgerMoney(accepted=("HKD", "CNY", "JPY"), read_value_decimals=lambda: 2)
        try:
            listed = supplier1.get("/v1/currencies")
        finally:
            gateway.money = kept
    assert listed.status_code == 200, listed.text
    assert listed.json() == {
        "value_decimals": 2,
        "currencies": [
            {"code": "HKD", "minor_digits": 2, "issuable": True, "deposit": True},
            {"code": "CNY", "minor_digits": 2, "issuable": True, "deposit": False},
            {"code": "JPY", "minor_digits": 0, "issuable": False, "deposit": False},
        ],
    }


def test_the_same_amount_written_otherwise_is_the_same_request(world: World) -> None:
    """An idempotency key names the amount, not its spelling: "150" and "150.00" are one
    write, acted once; another amount under the key conflicts."""
    api = world.api
    body = {"to": api.address("supplier3"), "value": "150"}
    path = f"/v1/pieces/{world.token}/transfers"
    with api.client("supplier1") as supplier1:
        first = write(supplier1, path, "same-amount", body)
        again = write(supplier1, path, "same-amount", {**body, "value": "150.00"})
        other = write(supplier1, path, "same-amount", {**body, "value": "150.01"})
    assert first.status_code == 202, first.text
    assert again.json()["id"] == first.json()["id"]
    assert_problem(other, 409, "idempotency-conflict")


# -- the schemas, without a server ----------------------------------------------------------


def amount_fields() -> list[tuple[type[BaseModel], str]]:
    """Every field of a request model whose type is an amount (api.fields.AmountText or
    AmountOrZeroText, alone or optional), found by walking the models."""
    found: list[tuple[type[BaseModel], str]] = []
    for module in (schemas, draft_schemas):
        for model in vars(module).values():
            if not (isinstance(model, type) and issubclass(model, schemas.Strict)):
                continue
            for name, info in model.model_fields.items():
                if _is_amount(info.annotation, info.metadata):
                    found.append((model, name))
    return found


def _is_amount(annotation: Any, metadata: list[Any]) -> bool:
    validators = [m for m in metadata if getattr(m, "func", None) is fields._amount_text]
    if validators:
        return True
    return any(
        getattr(m, "func", None) is fields._amount_text
        for arg in getattr(annotation, "__args__", ())
        for m in getattr(arg, "__metadata__", ())
    )


def test_the_walk_finds_every_amount_field_of_the_request_bodies() -> None:
    assert {(m.__name__, f) for m, f in amount_fields()} == {
        ("IssueIn", "face_amount"),
        ("TransferIn", "value"),
        ("TermsIn", "advance"),
        ("TermsIn", "repayment"),
        ("TermsIn", "fees"),
        ("CheckerPolicyIn", "two_checker_amount"),
    }


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    number=st.one_of(
        st.integers(min_value=-(2**200), max_value=2**200),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
    ),
    index=st.integers(min_value=0, max_value=5),
)
def test_no_amount_field_of_any_request_schema_accepts_a_json_number(
    number: int | float | bool, index: int
) -> None:
    """Whatever number a client sends, in whichever amount field: `amount-not-a-string`,
    never an amount (json.dumps writes it as the JSON number it is)."""
    model, name = amount_fields()[index]
    example = model.model_json_schema()["examples"][0]
    body = _with(example, name, number)
    with pytest.raises(ValidationError) as refused:
        model.model_validate_json(json.dumps(body))
    types = [e["type"] for e in refused.value.errors()]
    assert "amount-not-a-string" in types, types


def _with(example: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """The example with `name` (anywhere in it) set to `value`."""
    changed = dict(example)
    for key, inner in example.items():
        if key == name:
            changed[key] = value
        elif isinstance(inner, dict):
            changed[key] = _with(inner, name, value)
    return changed


def test_a_schema_refusal_of_an_amount_answers_with_its_own_problem_type() -> None:
    """api/errors.py answers a validation failure of a money type with that problem, and
    its title is the domain exception's (one table)."""
    from scfledger.api.errors import _DOMAIN, _MONEY_TITLES

    assert set(_MONEY_TITLES) == set(fields.MONEY_ERRORS.values())
    titles = {slug: title for _, slug, _, title in _DOMAIN}
    assert all(_MONEY_TITLES[slug] == titles[slug] for slug in _MONEY_TITLES)


def test_ledger_money_reads_the_value_decimals_once() -> None:
    calls: list[int] = []

    def read() -> int:
        calls.append(1)
        return 3

    money = LedgerMoney(accepted=("KWD",), read_value_decimals=read)
    assert (money.text(1_000), money.text(5), money.parse("1.000", "KWD", field="x")) == (
        "1.000",
        "0.005",
        1_000,
    )
    assert calls == [1]


def test_an_unknown_slot_currency_is_read_with_the_ledgers_digits() -> None:
    """A slot issued on chain with a code that is no currency (the contract takes any
    three bytes) is still read and written with the ledger's digits, not refused."""
    money = LedgerMoney(accepted=("CNY",), read_value_decimals=lambda: 2)
    assert money.parse("1.50", "ZZZ", field="value") == 150
    with pytest.raises(Exception, match="more decimals"):
        money.parse("1.505", "ZZZ", field="value")


_ = httpx  # the world's clients are httpx clients


def test_a_contract_errors_amounts_are_decimal_strings_in_its_problem(world: World) -> None:
    """The deployment's smallest piece is 10,000 fen: 100.00 CNY. A receivable of 50.00 is
    refused by the contract; its problem and its failed operation show both amounts as the
    API writes amounts, not as minor units."""
    api = world.api
    with api.client("core") as core:
        refused = write(core, "/v1/receivables", "small", issue_body(api, "small", "50.00"))
        body = assert_problem(refused, 422, "value-below-minimum")
        assert body["error"] == {
            "name": "ValueBelowMinimum",
            "args": {"value": "50.00", "minimum": "100.00"},
        }
        assert (
            body["detail"] == "ReceivableToken: ValueBelowMinimum(value='50.00', minimum='100.00')"
        )
        failed = core.get(f"/v1/operations/{body['operation']['id']}").json()
    assert failed["status"] == "failed"
    assert failed["error"]["args"] == {"value": "50.00", "minimum": "100.00"}
