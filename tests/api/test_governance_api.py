"""Governance over real HTTP: participants, admission and suspension by M-of-N proposals,
and the three-tier story of a member admitted through the API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from sqlalchemy import text
from web3 import HTTPProvider, Web3
from web3.types import Nonce, TxParams

from scfledger.chain.artifacts import load_artifact
from scfledger.chain.identity import identity_anchor
from scfledger.db.session import create_db_engine
from scfledger_client import ApiProblem, ScfClient
from scfledger_client.models import IssuedApiKeyOut, OperationOut
from tests.support.api import assert_problem, cny, event, fen, write
from tests.support.checking import person_key, without_maker_checker
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

DAY = 86_400


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("governance")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
        yield served


def sha256(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def client_with(api: Served, key: str) -> httpx.Client:
    return httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {key}"}, timeout=70)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"]) == ("indexed", None), body
    return body


def members(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {m["address"]: m for m in client.get("/v1/members").json()}


def admission(address: str, name: str, roles: list[str]) -> dict[str, Any]:
    return {
        "address": address,
        "name": name,
        "legal_id": f"legal id of {name}",
        "kyc": f"kyc file of {name}",
        "roles": roles,
    }


def proposal_of(op: dict[str, Any]) -> int:
    return int(event(op, "ProposalCreated")["proposalId"])


def test_three_tier_story_with_a_member_admitted_over_http(api: Served) -> None:
    admin1, admin2 = api.client("admin1"), api.client("admin2")
    core, supplier1, supplier2 = (
        api.client("core"),
        api.client("supplier1"),
        api.client("supplier2"),
    )
    bank, auditor = api.client("bank"), api.client("auditor")

    # An admin creates the gateway identity of a prospective tier-3 supplier.
    assert_problem(core.post("/v1/participants", json={"name": "tier3"}), 403, "forbidden")
    created = admin1.post("/v1/participants", json={"name": "tier3"})
    assert created.status_code == 201, created.text
    tier3_address, tier3_key = created.json()["address"], created.json()["api_key"]
    without_maker_checker(api.database_url, "tier3")
    assert tier3_key.startswith("scf_")
    again = admin2.post("/v1/participants", json={"name": "tier3"})
    assert_problem(again, 409, "participant-exists")
    tier3 = client_with(api, tier3_key)

    # Not admitted yet: it can authenticate and read (nothing), but not act.
    assert tier3.get("/v1/pieces").json()["items"] == []
    refused = write(tier3, "/v1/receivables", "too-early", {
        "creditor": api.address("supplier1"), "face_amount": cny(1), "due_date": 2**31,
        "document_hash": sha256("x"),
    })  # fmt: skip
    # The gateway refuses a document it did not receive (it may upload none yet); the
    # registry refuses everything else it asks.
    assert_problem(refused, 422, "document-not-uploaded")
    proposing = write(
        tier3, "/v1/members", "too-early-2", admission(tier3_address, "T", ["supplier"])
    )
    not_member = assert_problem(proposing, 403, "not-active-member")
    assert not_member["error"] == {"name": "NotActiveMember", "args": {"account": tier3_address}}
    assert tier3_address not in members(auditor)
    assert_problem(tier3.get("/v1/members"), 403, "forbidden")
    assert tier3.get("/v1/participants/tier3").json()["status"] == "not-admitted"

    # admin1 proposes the admission (its own approval counts); admin2's approval executes it.
    body = admission(tier3_address, "Tier Three Components Ltd", ["supplier"])
    assert_problem(write(core, "/v1/members", "p", body), 403, "missing-role")
    proposed = ok(write(admin1, "/v1/members", "admit-tier3", body))
    proposal_id = proposal_of(proposed)
    assert event(proposed, "ProposalApproved")["admin"] == api.address("admin1")
    shown = admin2.get(f"/v1/proposals/{proposal_id}").json()
    assert (shown["status"], shown["action"], shown["approvals"]) == (
        "pending",
        "admitMember",
        [api.address("admin1")],
    )
    assert shown["args"]["account"] == tier3_address
    assert shown["args"]["roles"] == 4  # SUPPLIER
    # P1: the legal id goes on chain salted with the member's own salt, which the gateway
    # keeps and never shows; never as the unsalted hash of a public identifier.
    legal_id = "legal id of Tier Three Components Ltd"
    assert shown["args"]["legalIdHash"] != sha256(legal_id)
    engine = create_db_engine(api.database_url)
    with engine.connect() as connection:
        salt = connection.execute(
            text("SELECT salt FROM identity_salts WHERE address = :a"), {"a": tier3_address}
        ).scalar_one()
    engine.dispose()
    anchor = identity_anchor(bytes.fromhex(salt), legal_id)
    assert shown["args"]["legalIdHash"] == "0x" + anchor.hex()
    assert salt not in json.dumps(proposed) + json.dumps(shown)
    assert auditor.get(f"/v1/proposals/{proposal_id}").json() == shown
    assert_problem(core.get(f"/v1/proposals/{proposal_id}"), 403, "forbidden")
    assert_problem(write(admin2, "/v1/members", "dup", body), 409, "invalid-state")
    assert_problem(
        write(admin1, f"/v1/proposals/{proposal_id}/approve", "self"), 409, "already-approved"
    )
    assert_problem(write(core, f"/v1/proposals/{proposal_id}/approve", "c"), 403, "missing-role")
    assert tier3_address not in members(auditor)

    executed = ok(write(admin2, f"/v1/proposals/{proposal_id}/approve", "approve-tier3"))
    names = [e["name"] for e in executed["events"]]
    assert names == ["ProposalApproved", "MemberAdmitted", "ProposalExecuted"]
    assert admin1.get(f"/v1/proposals/{proposal_id}").json()["status"] == "executed"
    assert tier3.get("/v1/participants/tier3").json()["status"] == "active"
    assert members(tier3)[tier3_address] == {
        "address": tier3_address,
        "name": "Tier Three Components Ltd",
        "roles": ["supplier"],
        "status": "active",
    }
    assert_problem(
        write(admin2, f"/v1/proposals/{proposal_id}/approve", "late"), 409, "proposal-not-pending"
    )
    assert_problem(write(admin1, "/v1/members", "re-admit", body), 409, "invalid-state")

    # The story: issue -> accept -> split across three tiers -> finance -> settle.
    due = api.chain_time() + 30 * DAY
    assert api.document("core", "invoice 2026-118") == sha256("invoice 2026-118")
    issued = ok(write(core, "/v1/receivables?wait=indexed", "issue", {
        "creditor": api.address("supplier1"), "face_amount": cny(1_000_000), "currency": "CNY",
        "due_date": due, "document_hash": sha256("invoice 2026-118"),
    }))  # fmt: skip
    slot, root = (
        int(event(issued, "ReceivableIssued")["slot"]),
        int(event(issued, "ReceivableIssued")["tokenId"]),
    )
    ok(write(supplier1, f"/v1/receivables/{slot}/accept", "accept"))

    def split(client: httpx.Client, token: int, to: str, value: int, key: str) -> int:
        op = ok(
            write(client, f"/v1/pieces/{token}/transfers", key, {"to": to, "value": cny(value)})
        )
        return int(event(op, "PieceSplit")["childTokenId"])

    def sign(client: httpx.Client, token: int) -> None:
        """The receiver signs for the piece (签收)."""
        ok(write(client, f"/v1/pieces/{token}/sign", f"sign-{token}"))

    def holding(client: httpx.Client) -> list[tuple[int, str, int, str]]:
        items = client.get("/v1/pieces").json()["items"]
        return [(p["token_id"], p["holder"], fen(p["value"]), p["state"]) for p in items]

    tier2_piece = split(supplier1, root, api.address("supplier2"), 400_000, "to-tier2")
    sign(supplier2, tier2_piece)
    assert [(t, v) for t, _h, v, _s in holding(supplier2)] == [(tier2_piece, 400_000)]
    tier3_piece = split(supplier2, tier2_piece, tier3_address, 150_000, "to-tier3")
    sign(tier3, tier3_piece)
    assert holding(tier3) == [(tier3_piece, tier3_address, 150_000, "active")]
    values = {t: v for t, _h, v, _s in holding(auditor)}
    assert values == {root: 600_000, tier2_piece: 250_000, tier3_piece: 150_000}
    lineage = tier3.get(f"/v1/pieces/{tier3_piece}/lineage").json()
    assert [n["token_id"] for n in lineage["ancestors"]] == [tier2_piece, root]  # nearest first
    tree = auditor.get(f"/v1/pieces/{root}/lineage").json()["tree"]
    assert [c["token_id"] for c in tree["children"]] == [tier2_piece]
    assert [c["token_id"] for c in tree["children"][0]["children"]] == [tier3_piece]
    assert tree["children"][0]["children"][0]["depth"] == 2

    terms = {"advance": cny(140_000), "repayment": cny(0), "fees": cny(500), "fund_by": due - DAY}
    ask = {"token_id": tier3_piece, "financiers": [api.address("bank")], "terms": terms}
    request_id = int(
        event(ok(write(tier3, "/v1/financing-requests", "ask", ask)), "FinancingRequested")[
            "requestId"
        ]
    )
    ok(write(bank, f"/v1/financing-requests/{request_id}/offers", "offer", terms))
    ok(write(bank, f"/v1/financing-requests/{request_id}/fund", "fund", {"payment_ref": "w-1"}))
    assert tier3.get(f"/v1/financing-requests/{request_id}").json()["status"] == "funded"
    assert holding(tier3) == [(tier3_piece, api.address("bank"), 150_000, "financed")]

    api.rpc("evm_setNextBlockTimestamp", due + 1)
    api.rpc("evm_mine")
    settle = {"slot": slot, "token_ids": [root, tier2_piece, tier3_piece], "payment_ref": "run-1"}
    ok(write(core, "/v1/settlements", "settle", settle))
    for token, payee in ((root, supplier1), (tier2_piece, supplier2), (tier3_piece, bank)):
        ok(write(payee, f"/v1/settlements/{token}/confirm", f"confirm-{token}"))
    paid = {
        s["token_id"]: (s["holder"], fen(s["amount"]))
        for s in auditor.get("/v1/settlements", params={"slot": slot}).json()["items"]
    }
    assert paid == {
        root: (api.address("supplier1"), 600_000),
        tier2_piece: (api.address("supplier2"), 250_000),
        tier3_piece: (api.address("bank"), 150_000),
    }
    for client in (admin1, admin2, core, supplier1, supplier2, bank, auditor, tier3):
        client.close()


def test_suspension_freezes_a_member_until_reinstated(api: Served) -> None:
    admin1, admin2, admin3 = (api.client(f"admin{i}") for i in (1, 2, 3))
    supplier3 = api.client("supplier3")
    target = api.address("supplier3")

    suspend = {"reason": "KYC review"}
    assert_problem(
        write(supplier3, f"/v1/members/{target}/suspend", "self", suspend), 403, "missing-role"
    )
    assert_problem(
        write(admin1, f"/v1/members/{'0x' + '12' * 20}/suspend", "x", suspend), 404, "not-found"
    )
    assert_problem(write(admin1, f"/v1/members/{target}/reinstate", "x"), 409, "invalid-state")
    proposal_id = proposal_of(ok(write(admin1, f"/v1/members/{target}/suspend", "s1", suspend)))
    assert members(supplier3)[target]["status"] == "active"
    ok(write(admin2, f"/v1/proposals/{proposal_id}/approve", "s1-approve"))
    assert members(supplier3)[target]["status"] == "suspended"
    shown = admin3.get(f"/v1/proposals/{proposal_id}").json()
    assert (shown["action"], shown["args"]) == (
        "suspendMember",
        {"account": target, "reason": sha256("KYC review")},
    )

    # Suspended: every write is refused before a transaction is spent; reads still work.
    other = api.address("supplier1")
    refused = write(supplier3, f"/v1/members/{other}/suspend", "f", suspend)
    suspended = assert_problem(refused, 403, "not-active-member")
    assert suspended["error"] == {"name": "NotActiveMember", "args": {"account": target}}
    assert supplier3.get("/v1/pieces").status_code == 200
    assert_problem(
        write(admin2, f"/v1/members/{target}/suspend", "s2", suspend), 409, "invalid-state"
    )

    # Reinstated by another pair of admins.
    reinstate = ok(write(admin2, f"/v1/members/{target}/reinstate", "r1"))
    ok(write(admin3, f"/v1/proposals/{proposal_of(reinstate)}/approve", "r1-approve"))
    assert members(supplier3)[target]["status"] == "active"
    for client in (admin1, admin2, admin3, supplier3):
        client.close()


def test_proposals_are_revoked_cancelled_and_expire(api: Served) -> None:
    admin1, admin2 = api.client("admin1"), api.client("admin2")
    auditor, core = api.client("auditor"), api.client("core")
    newcomer = "0x" + "5e" * 20
    body = admission(newcomer, "Newcomer Trading Co", ["supplier", "financier"])

    proposal_id = proposal_of(ok(write(admin1, "/v1/members", "newcomer", body)))
    assert_problem(write(admin2, f"/v1/proposals/{proposal_id}/revoke", "r"), 409, "not-approved")
    ok(write(admin1, f"/v1/proposals/{proposal_id}/revoke", "revoke"))
    assert admin2.get(f"/v1/proposals/{proposal_id}").json()["approvals"] == []
    assert_problem(write(admin2, f"/v1/proposals/{proposal_id}/cancel", "c"), 403, "not-proposer")
    cancelled = ok(write(admin1, f"/v1/proposals/{proposal_id}/cancel", "cancel"))
    assert [e["name"] for e in cancelled["events"]] == ["ProposalCancelled"]
    approve_cancelled = write(admin2, f"/v1/proposals/{proposal_id}/approve", "a")
    assert_problem(approve_cancelled, 409, "proposal-not-pending")
    listed = [p["id"] for p in auditor.get("/v1/proposals", params={"status": "cancelled"}).json()]
    assert proposal_id in listed
    assert_problem(admin1.get("/v1/proposals/999999"), 404, "not-found")
    assert_problem(core.get("/v1/proposals"), 403, "forbidden")

    # A proposal past its deadline reads as expired, and the registry refuses to approve it
    # with its own error.
    late = proposal_of(ok(write(admin1, "/v1/members", "newcomer-2", body)))
    deadline = admin1.get(f"/v1/proposals/{late}").json()["deadline"]
    api.rpc("evm_setNextBlockTimestamp", deadline + 1)
    api.rpc("evm_mine")
    assert admin2.get(f"/v1/proposals/{late}").json()["status"] == "expired"
    assert late in [p["id"] for p in admin2.get("/v1/proposals?status=expired").json()]
    expired = assert_problem(
        write(admin2, f"/v1/proposals/{late}/approve", "late-expired"), 409, "proposal-expired"
    )
    assert expired["error"] == {
        "name": "ProposalExpired",
        "args": {"proposalId": late, "deadline": deadline},
    }
    # An expired proposal no longer blocks proposing the same change again.
    ok(write(admin1, "/v1/members", "newcomer-3", body))
    for client in (admin1, admin2, auditor, core):
        client.close()


def test_member_with_its_own_key_signs_and_the_gateway_relays(api: Served) -> None:
    own_key: LocalAccount = Account.create()
    outside = own_key.address
    with api.client("admin1") as admin1:
        created = admin1.post("/v1/participants", json={"name": "self-signer", "address": outside})
        assert created.status_code == 201, created.text
        assert created.json()["address"] == outside
        without_maker_checker(api.database_url, "self-signer")
        same_address = admin1.post("/v1/participants", json={"name": "other", "address": outside})
        assert_problem(same_address, 409, "participant-exists")
        bad_name = admin1.post("/v1/participants", json={"name": "Bad Name!"})
        assert_problem(bad_name, 422, "validation-error")
        body = admission(outside, "Self-Signing Manufacturing", ["core_enterprise"])
        proposal_id = proposal_of(ok(write(admin1, "/v1/members", "self-signer", body)))
    with api.client("admin2") as admin2:
        ok(write(admin2, f"/v1/proposals/{proposal_id}/approve", "self-signer-ok"))

    w3 = Web3(HTTPProvider(api.chain_url))
    token = w3.eth.contract(
        address=to_checksum_address(api.seeded.contracts["ReceivableToken"]),
        abi=load_artifact("ReceivableToken").abi,
    )

    def signed_issue(signer: LocalAccount, document: str, nonce: int) -> str:
        call = token.functions.issue(
            api.address("supplier1"),
            50_000,
            b"CNY",
            api.chain_time() + DAY,
            bytes.fromhex(document[2:]),
        )
        params: TxParams = {
            "from": signer.address,
            "nonce": Nonce(nonce),
            "gas": 400_000,
            "chainId": w3.eth.chain_id,
        }
        tx = cast(dict[str, Any], call.build_transaction(params))
        return "0x" + signer.sign_transaction(tx).raw_transaction.hex()

    with client_with(api, created.json()["api_key"]) as member:
        assert member.get("/v1/pieces").status_code == 200
        invoice = ("doc.txt", b"self-signed invoice", "text/plain")
        assert member.post("/v1/documents", files={"file": invoice}).status_code == 201
        # The gateway holds no key for it: it cannot sign on the member's behalf ...
        issue = {
            "creditor": api.address("supplier1"),
            "face_amount": cny(5),
            "due_date": api.chain_time() + DAY,
            "document_hash": sha256("self-signed invoice"),
        }
        assert_problem(write(member, "/v1/receivables", "self-issue", issue), 403, "no-signing-key")
        # ... but relays what the member signed itself, and follows it like any write.
        raw = signed_issue(own_key, sha256("self-signed invoice"), 0)
        relayed = ok(write(member, "/v1/transactions", "relay-1", {"raw_transaction": raw}))
        assert relayed["kind"] == "relay"
        issued = event(relayed, "ReceivableIssued")
        assert (issued["debtor"], issued["creditor"]) == (outside, api.address("supplier1"))
        again = write(member, "/v1/transactions", "relay-1", {"raw_transaction": raw})
        assert again.json()["id"] == relayed["id"]
        # A reverting transaction fails with the contract's own error.
        duplicate = signed_issue(own_key, sha256("self-signed invoice"), 1)
        refused = write(member, "/v1/transactions", "relay-2", {"raw_transaction": duplicate})
        assert assert_problem(refused, 409, "duplicate-document")["operation"]["kind"] == "relay"
        # Nobody relays as somebody else.
        stranger = signed_issue(Account.create(), sha256("stranger"), 0)
        wrong = write(member, "/v1/transactions", "relay-3", {"raw_transaction": stranger})
        assert "signed by" in assert_problem(wrong, 403, "relay-rejected")["detail"]
        garbage = write(member, "/v1/transactions", "relay-4", {"raw_transaction": "0x1234"})
        assert_problem(garbage, 403, "relay-rejected")
    with api.client("core") as core:
        # The gateway signs for core: relaying for it would give its account two nonce sources.
        mine = write(core, "/v1/transactions", "relay-5", {"raw_transaction": raw})
        assert_problem(mine, 403, "relay-rejected")


def key_rows(api: Served) -> list[tuple[Any, ...]]:
    """Every API key row of the gateway (hashes, prefixes, dates), in a stable order; not
    when each was last used (every request writes it, at most once a minute)."""
    engine = create_db_engine(api.database_url)
    try:
        with engine.connect() as connection:
            # Without last_used_at: a refused request is still a use of its key.
            query = "SELECT id, participant, address, key_hash, prefix, created_at, revoked_at"
            return [
                tuple(r) for r in connection.execute(text(f"{query} FROM api_keys ORDER BY id"))
            ]
    finally:
        engine.dispose()


def admitted(api: Served, name: str, roles: list[str]) -> tuple[str, str]:
    """A participant created by admin1 and admitted by admin1 and admin2: (address, key)."""
    with api.client("admin1") as admin1, api.client("admin2") as admin2:
        created = admin1.post("/v1/participants", json={"name": name})
        assert created.status_code == 201, created.text
        address, key = created.json()["address"], created.json()["api_key"]
        without_maker_checker(api.database_url, name)
        proposed = ok(
            write(admin1, "/v1/members", f"admit-{name}", admission(address, name, roles))
        )
        ok(write(admin2, f"/v1/proposals/{proposal_of(proposed)}/approve", f"approve-{name}"))
    return address, key


def test_no_admin_lists_issues_or_revokes_another_participant_s_api_keys(api: Served) -> None:
    """Finding 3: admin1 minted a working key for core and revoked others' keys."""
    core_key = api.seeded.api_keys["core"]
    before = key_rows(api)
    with api.client("admin1") as admin1:
        refused = [
            admin1.get("/v1/participants/core/api-keys"),
            admin1.post("/v1/participants/core/api-keys"),
            admin1.delete(f"/v1/participants/core/api-keys/{core_key[:12]}"),
            admin1.get("/v1/participants/core"),
            # The same answer for a name that does not exist: no oracle of participants.
            admin1.get("/v1/participants/nobody/api-keys"),
        ]
        for response in refused:
            problem = assert_problem(response, 403, "foreign-participant")
            assert problem["detail"].startswith("admin1 may not "), problem
            assert "api_key" not in response.text
        # admin1's own keys are its own business, as anyone's.
        assert len(admin1.get("/v1/participants/admin1/api-keys").json()) == 1
    assert key_rows(api) == before
    with api.client("core") as core:
        # core's key works, and core alone manages its keys.
        listed = core.get("/v1/participants/core/api-keys").json()
        assert [(k["prefix"], k["revoked_at"]) for k in listed] == [(core_key[:12], None)]
        issued = core.post("/v1/participants/core/api-keys")
        assert issued.status_code == 201, issued.text
        second = issued.json()["api_key"]
        revoked = core.delete(f"/v1/participants/core/api-keys/{second[:12]}")
        assert revoked.status_code == 204, revoked.text
        assert_problem(client_with(api, second).get("/v1/pieces"), 401, "unauthenticated")
        assert core.get("/v1/pieces").status_code == 200


def test_api_keys_are_rotated_and_revoked(api: Served) -> None:
    address, first = admitted(api, "rotator", ["supplier"])
    with client_with(api, first) as old:
        # A participant rotates its own key: a second key, then the first revoked.
        issued = old.post("/v1/participants/rotator/api-keys")
        assert issued.status_code == 201, issued.text
        second = issued.json()["api_key"]
        assert (issued.json()["name"], issued.json()["address"]) == ("rotator", address)
        assert second != first
        listed = old.get("/v1/participants/rotator/api-keys").json()
        assert [(k["prefix"], k["revoked_at"]) for k in listed] == [
            (first[: len(listed[0]["prefix"])], None),
            (second[: len(listed[1]["prefix"])], None),
        ]
        # Nobody manages another's keys.
        for refused in (
            old.get("/v1/participants/supplier1/api-keys"),
            old.post("/v1/participants/supplier1/api-keys"),
        ):
            assert_problem(refused, 403, "foreign-participant")
        with client_with(api, second) as new:
            assert (
                new.delete(f"/v1/participants/rotator/api-keys/{listed[0]['prefix']}").status_code
                == 204
            )
            assert_problem(old.get("/v1/pieces"), 401, "unauthenticated")
            assert new.get("/v1/pieces").status_code == 200
            again = new.delete(f"/v1/participants/rotator/api-keys/{listed[0]['prefix']}")
            assert_problem(again, 409, "invalid-state")
            missing = new.delete("/v1/participants/rotator/api-keys/scf_00000000")
            assert_problem(missing, 404, "not-found")
            keys = new.get("/v1/participants/rotator/api-keys").json()
            assert [k["revoked_at"] is None for k in keys] == [False, True]
            # At most ten live keys: an eleventh is refused until one is revoked.
            for _ in range(9):
                assert new.post("/v1/participants/rotator/api-keys").status_code == 201
            rows = key_rows(api)
            crowded = new.post("/v1/participants/rotator/api-keys")
            assert "at most 10 live API keys" in assert_problem(crowded, 403, "forbidden")["detail"]
            assert key_rows(api) == rows


def test_a_participant_awaiting_admission_reads_only_its_own_status(api: Served) -> None:
    """Finding 8: a participant not admitted uploaded documents without limit, minted API
    keys and listed every member."""
    with api.client("admin1") as admin1:
        created = admin1.post("/v1/participants", json={"name": "applicant"})
        assert created.status_code == 201, created.text
    address, key = created.json()["address"], created.json()["api_key"]
    rows = key_rows(api)
    with client_with(api, key) as applicant:
        minted = applicant.post("/v1/participants/applicant/api-keys")
        assert "member is not-admitted" in assert_problem(minted, 403, "forbidden")["detail"]
        listed = assert_problem(applicant.get("/v1/members"), 403, "forbidden")
        assert "not a consortium member" in listed["detail"]
        uploaded = applicant.post(
            "/v1/documents", files={"file": ("x.pdf", b"%PDF-1.7 spam", "application/pdf")}
        )
        assert "member is not-admitted" in assert_problem(uploaded, 403, "forbidden")["detail"]
        status = applicant.get("/v1/participants/applicant")
        assert status.status_code == 200, status.text
        assert status.json() == {
            "name": "applicant",
            "address": address,
            "status": "not-admitted",
            "roles": [],
        }
        assert_problem(applicant.get("/v1/participants/core"), 403, "foreign-participant")
        # Its own keys it may list (and revoke: that only narrows access).
        assert len(applicant.get("/v1/participants/applicant/api-keys").json()) == 1
    assert key_rows(api) == rows
    engine = create_db_engine(api.database_url)
    try:
        with engine.connect() as connection:
            uploads = connection.execute(
                text("SELECT count(*) FROM documents WHERE uploader = 'applicant'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert uploads == 0


def test_governance_through_the_sdk(api: Served) -> None:
    def sdk(key: str) -> ScfClient:
        return ScfClient(api.url, api_key=key, wait="indexed")

    admin1, admin2 = sdk(api.seeded.api_keys["admin1"]), sdk(api.seeded.api_keys["admin2"])
    created = admin1.create_participant("sdk-trader")
    proposed = admin1.admit_member(
        created.address, "SDK Trading", "legal sdk", "kyc sdk", ["supplier", "financier"]
    )
    assert isinstance(proposed, OperationOut)
    proposal_id = int(
        next(e.args for e in proposed.events if e.name == "ProposalCreated")["proposalId"]
    )
    assert [p.id for p in admin2.proposals(status="pending")][:1] == [proposal_id]
    with pytest.raises(ApiProblem) as refused:
        admin1.approve_proposal(proposal_id)
    assert (refused.value.status, refused.value.slug) == (409, "already-approved")
    executed = admin2.approve_proposal(proposal_id)
    assert isinstance(executed, OperationOut)
    assert [e.name for e in executed.events][-1] == "ProposalExecuted"
    assert admin1.proposal(proposal_id).status == "executed"
    trader = {m.address: m for m in admin1.members()}[created.address]
    assert (trader.roles, trader.status) == (["supplier", "financier"], "active")

    # The trader alone manages its keys: it rotates (issue, switch, revoke).
    with pytest.raises(ApiProblem) as foreign:
        admin1.issue_api_key("sdk-trader")
    assert (foreign.value.status, foreign.value.slug) == (403, "foreign-participant")
    with sdk(created.api_key) as trader_client:
        assert trader_client.participant_status("sdk-trader").status == "active"
        second = trader_client.issue_api_key("sdk-trader")
        assert isinstance(second, IssuedApiKeyOut)  # no checker yet: issued at once
        prefixes = [k.prefix for k in trader_client.api_keys("sdk-trader")]
        assert len(prefixes) == 2
        assert second.api_key.startswith(prefixes[1])
        trader_client.revoke_api_key("sdk-trader", prefixes[0])
        with pytest.raises(ApiProblem) as revoked:
            trader_client.members()
        assert (revoked.value.status, revoked.value.slug) == (401, "unauthenticated")

    suspension = admin2.suspend_member(created.address, "sanctions screening")
    assert isinstance(suspension, OperationOut)
    suspended_id = int(
        next(e.args for e in suspension.events if e.name == "ProposalCreated")["proposalId"]
    )
    admin1.approve_proposal(suspended_id)
    assert {m.address: m.status for m in admin1.members()}[created.address] == "suspended"
    reinstatement = admin1.reinstate_member(created.address)
    assert isinstance(reinstatement, OperationOut)
    reinstated_id = int(
        next(e.args for e in reinstatement.events if e.name == "ProposalCreated")["proposalId"]
    )
    admin1.revoke_approval(reinstated_id)
    assert admin2.proposal(reinstated_id).approvals == []
    admin1.cancel_proposal(reinstated_id)
    assert admin2.proposal(reinstated_id).status == "cancelled"
    assert {m.address: m.status for m in admin1.members()}[created.address] == "suspended"

    with sdk(second.api_key) as rotated:
        assert created.address in {m.address for m in rotated.members()}  # a member still
        assert rotated.participant_status("sdk-trader").status == "suspended"
        with pytest.raises(ApiProblem) as relay:  # still suspended: no writes of any kind
            rotated.relay(b"\x01\x02")
        assert (relay.value.status, relay.value.slug) == (403, "forbidden")
        assert "member is suspended" in relay.value.detail
        # Nor new keys or documents (finding 8); its keys it may still list.
        for refused_call in (
            lambda: rotated.issue_api_key("sdk-trader"),
            lambda: rotated.upload_document(b"%PDF-1.7 while suspended"),
        ):
            with pytest.raises(ApiProblem) as refused:
                refused_call()
            assert (refused.value.status, refused.value.slug) == (403, "forbidden")
            assert "member is suspended" in refused.value.detail
        assert len(rotated.api_keys("sdk-trader")) == 2
    admin1.close()
    admin2.close()


def person_client(
    api: Served, participant: str, username: str, roles: list[str], scopes: tuple[str, ...]
) -> httpx.Client:
    """A client for a new person of `participant` with an API key of its own."""
    return client_with(api, person_key(api, participant, username, roles, list(scopes)))


def test_governance_is_cast_by_named_admins_of_admin_members(api: Served) -> None:
    """Issue 15, item 5: admission, suspension and their votes, and new participants, are
    the acts of an admin person (role `admin`, a credential that may write) of an admin
    member; a maker of the same member, or a read-only key, is refused before anything."""
    both = ("read", "write")
    mo = person_client(api, "admin3", "mo", ["maker"], both)
    rae = person_client(api, "admin3", "rae", ["admin"], ("read",))
    ada = person_client(api, "admin3", "ada", ["admin"], both)
    ben = person_client(api, "admin2", "ben", ["admin", "checker"], both)
    before = ada.get("/v1/proposals").json()
    newcomer = Account.create().address
    body = admission(newcomer, "Named Admins Ltd", ["supplier"])

    refused = assert_problem(write(mo, "/v1/members", "mo-1", body), 403, "role-required")
    assert refused["detail"] == "mo may not cast consortium governance votes: needs role admin"
    assert_problem(write(rae, "/v1/members", "rae-1", body), 403, "scope-required")
    created = mo.post("/v1/participants", json={"name": "by-a-maker"})
    assert_problem(created, 403, "role-required")
    assert mo.get("/v1/proposals").json() == before  # read as a maker: nothing proposed
    assert mo.get("/v1/participants/by-a-maker").status_code == 403  # nor created

    proposed = ok(write(ada, "/v1/members", "ada-1", body))
    proposal = proposal_of(proposed)
    assert event(proposed, "ProposalApproved")["admin"] == api.address("admin3")
    suspend = {"reason": "by a maker"}
    for path, key, payload in (
        (f"/v1/proposals/{proposal}/approve", "mo-2", None),
        (f"/v1/proposals/{proposal}/revoke", "mo-3", None),
        (f"/v1/proposals/{proposal}/cancel", "mo-4", None),
        (f"/v1/members/{api.address('supplier2')}/suspend", "mo-5", suspend),
        (f"/v1/members/{api.address('supplier2')}/reinstate", "mo-6", None),
    ):
        assert_problem(write(mo, path, key, payload), 403, "role-required")
    assert ada.get(f"/v1/proposals/{proposal}").json()["status"] == "pending"
    executed = ok(write(ben, f"/v1/proposals/{proposal}/approve", "ben-1"))
    assert event(executed, "ProposalApproved")["admin"] == api.address("admin2")
    assert members(ada)[newcomer]["status"] == "active"
    made = ada.post("/v1/participants", json={"name": "by-an-admin"})
    assert made.status_code == 201, made.text
    for client in (mo, rae, ada, ben):
        client.close()
