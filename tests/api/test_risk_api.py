"""Risk over HTTP: a request's indicators and decision for its financier, and the
financier's policy that decides it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.test_api_story import DUE
from tests.support.api import assert_problem, cny, event, write
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def financed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, int]]:
    """A gateway where supplier1 asks the bank to factor 700,000 of a 1,000,000 piece."""
    directory = tmp_path_factory.mktemp("risk")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as api:
        body = {
            "creditor": api.address("supplier1"),
            "face_amount": cny(1_000_000),
            "currency": "CNY",
            "due_date": DUE,
            "document_hash": api.document("core", "invoice ee"),
        }
        with api.client("core") as core:
            issued = write(core, "/v1/receivables", "i", body).json()
        slot = int(event(issued, "ReceivableIssued")["slot"])
        token = int(event(issued, "ReceivableIssued")["tokenId"])
        with api.client("supplier1") as supplier1:
            write(supplier1, f"/v1/receivables/{slot}/accept", "a")
            terms = {
                "advance": cny(700_000),
                "repayment": cny(0),
                "fees": cny(0),
                "fund_by": DUE - 86_400,
            }
            asked = {"token_id": token, "financiers": [api.address("bank")], "terms": terms,
                     "mode": "factoring", "recourse": False}  # fmt: skip
            requested = write(supplier1, "/v1/financing-requests", "r", asked).json()
        yield api, int(event(requested, "FinancingRequested")["requestId"])


def risk(api: Served, participant: str, request_id: int) -> Any:
    with api.client(participant) as client:
        return client.get(f"/v1/financing-requests/{request_id}/risk")


def test_clean_request_is_approved_for_its_financier_and_hidden_from_others(
    financed: tuple[Served, int],
) -> None:
    api, request_id = financed
    response = risk(api, "bank", request_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["decision"], body["reasons"], body["auto_decide"]) == ("approve", [], False)
    assert body["indicators"]["piece"]["depth"] == 0
    # Amounts in the request's currency as exact decimal strings (1,000,000 fen: 10,000.00).
    facts = body["indicators"]["request"]
    assert (facts["currency"], facts["amount"], facts["piece_value"]) == (
        "CNY",
        "7000.00",
        "10000.00",
    )
    exposure = body["indicators"]["exposure"]
    assert (exposure["to_debtor"], exposure["to_debtor_after"]) == ("0.00", "7000.00")
    assert body["indicators"]["debtor"]["open_overdue_value"] == "0.00"
    assert risk(api, "auditor", request_id).json()["decision"] == "approve"
    assert_problem(risk(api, "supplier1", request_id), 404, "not-found")
    assert_problem(risk(api, "bank", 999), 404, "not-found")


def test_financier_policy_changes_the_decision_with_its_reason(
    financed: tuple[Served, int],
) -> None:
    api, request_id = financed
    with api.client("bank") as bank:
        assert bank.get("/v1/policies").json()["no_history_max_advance_bps"] == 8_000
        stricter = bank.get("/v1/policies").json() | {"no_history_max_advance_bps": 5_000}
        stored = bank.put("/v1/policies", json=stricter)
        assert stored.status_code == 200, stored.text
        assert bank.get("/v1/policies").json()["no_history_max_advance_bps"] == 5_000
        assert_problem(bank.put("/v1/policies", json={"no_such_rule": 1}), 422, "validation-error")
    body = risk(api, "bank", request_id).json()
    assert body["decision"] == "refer"
    assert [r["code"] for r in body["reasons"]] == ["advance_rate_above_limit"]
    with api.client("supplier1") as supplier1:
        assert_problem(supplier1.put("/v1/policies", json=stricter), 403, "forbidden")
        assert_problem(supplier1.get("/v1/policies"), 403, "forbidden")


def test_amount_limits_are_decimal_strings_in_the_requests_currency(
    financed: tuple[Served, int],
) -> None:
    api, request_id = financed
    with api.client("bank") as bank:
        policy = bank.get("/v1/policies").json()
        assert (policy["max_open_overdue_value"], policy["max_exposure_per_debtor"]) == (
            "0.00",
            None,
        )
        before = policy
        for limit, problem in (
            (500_000, "amount-not-a-string"),  # minor units as a JSON number, as before
            ("6999.999", "amount-too-precise"),  # CNY has two minor digits
            ("-1.00", "amount-out-of-range"),
            ("1e6", "amount-malformed"),
        ):
            refused = bank.put("/v1/policies", json=before | {"max_exposure_per_debtor": limit})
            assert_problem(refused, 422, problem)
            assert bank.get("/v1/policies").json() == before  # nothing changed
        # The request advances 7,000.00 CNY: a limit one fen below it refers the request.
        lower = before | {
            "max_exposure_per_debtor": "6999.99",
            "no_history_max_advance_bps": 10_000,
        }
        stored = bank.put("/v1/policies", json=lower)
        assert stored.status_code == 200, stored.text
        assert stored.json()["max_exposure_per_debtor"] == "6999.99"
        body = risk(api, "bank", request_id).json()
        assert [(r["code"], r["message"]) for r in body["reasons"]] == [
            (
                "debtor_exposure_above_limit",
                "exposure to the debtor would be 7000.00 CNY (limit 6999.99 CNY)",
            )
        ]
        exact = bank.put("/v1/policies", json=lower | {"max_exposure_per_debtor": "7000"})
        assert exact.json()["max_exposure_per_debtor"] == "7000.00"
        assert risk(api, "bank", request_id).json()["reasons"] == []
        assert bank.put("/v1/policies", json=before).status_code == 200
