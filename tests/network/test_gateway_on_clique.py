"""The gateway on a real 4-sealer Clique network: the business story through the REST API,
a sealer killed under steady load (nothing lost, nothing doubled) and brought back, a
node cut off from its peers that rejoins, and a set-off round cleared by consent."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import select

from scfledger.api.app import create_app
from scfledger.app.compose import Deployment, build_gateway
from scfledger.chain.deploy import InitialAdmin, deploy_ledger
from scfledger.chain.deployment import deployed_contracts
from scfledger.chain.generated import Role
from scfledger.chain.governance import govern
from scfledger.chain.identity import identity_anchor, new_salt
from scfledger.config import Settings
from scfledger.db.migrate import upgrade
from scfledger.db.models import Operation
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.keys.store import KeyStore
from scfledger.network import CliqueNetwork, rpc_call
from scfledger.people.apikeys import create_api_key
from tests.support.api import cny, event, fen
from tests.support.checking import without_maker_checker
from tests.support.clique import clique_network, web3_for
from tests.support.server import serving
from tests.support.waiting import eventually

# One worker runs every Clique network in turn (see test_clique.py).
pytestmark = pytest.mark.integration

# core and the suppliers both owe and are owed (set-off needs cycles of debt).
TRADER = Role.CORE_ENTERPRISE | Role.SUPPLIER
MEMBERS = {"core": TRADER, "supplier1": TRADER, "supplier2": TRADER, "bank": Role.FINANCIER}
ADMINS: list[LocalAccount] = [
    Account.from_key(keccak(text=f"gw clique admin {i}")) for i in range(3)
]
DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)


def h(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Consortium:
    network: CliqueNetwork
    url: str
    keys: dict[str, str]
    addresses: dict[str, str]
    database: str

    def client(self, participant: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[participant]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def anchors(name: str) -> tuple[bytes, bytes]:
    """A member's legal-id and KYC anchors, salted with its own salt (never unsalted)."""
    salt = new_salt()
    return identity_anchor(salt, f"91310000{name}"), identity_anchor(salt, f"kyc {name}")


@pytest.fixture(scope="module")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    base = tmp_path_factory.mktemp("gw-clique")
    keys = KeyStore(base / "keys", "clique-test-passphrase", scrypt_n=2**10)
    addresses = {name: str(keys.new(name)) for name in MEMBERS}
    alloc = {a: 10**24 for a in [*addresses.values(), *(str(x.address) for x in ADMINS)]}
    with clique_network(base / "chain", nodes=4, period=1, alloc=alloc) as network:
        w3 = web3_for(network, 0)
        ledger = deploy_ledger(
            w3,
            deployer=ADMINS[0],
            admins=[
                InitialAdmin(a.address, f"admin{i}", *anchors(f"admin{i}"))
                for i, a in enumerate(ADMINS)
            ],
        )
        for name, roles in MEMBERS.items():
            admit = ledger.registry.functions.admitMember(
                addresses[name], name, *anchors(name), roles
            )
            govern(w3, ledger.registry, admit, proposer=ADMINS[0], approvers=[ADMINS[1]])
        database = f"sqlite:///{base / 'gateway.sqlite3'}"
        upgrade(database)
        engine = create_db_engine(database)
        with transaction(session_factory(engine)) as session:
            api_keys = {
                n: create_api_key(session=session, participant=n, address=a)
                for n, a in addresses.items()
            }
        without_maker_checker(engine, *addresses)
        settings = Settings(
            chain_url=network.rpc_url(0),
            database_url=database,
            indexer_confirmations=2,  # Clique can reorg: read only what two more blocks confirmed
        )
        deployment = Deployment(
            {k: str(v) for k, v in deployed_contracts(ledger).items()}, ledger.deployment_block
        )
        gateway = build_gateway(settings, deployment, engine=engine, keys=keys)
        try:
            with serving(create_app(gateway)) as url:
                yield Consortium(network, url, api_keys, addresses, database)
        finally:
            engine.dispose()


def write(
    client: httpx.Client, path: str, key: str, body: Any = None, wait: bool = True
) -> dict[str, Any]:
    params: dict[str, str | int] = {"wait": "indexed", "timeout": 60} if wait else {}
    response = client.post(path, json=body, headers={"Idempotency-Key": key}, params=params)
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def wait_indexed(client: httpx.Client, operation_ids: list[str], timeout: float = 120) -> None:
    pending = set(operation_ids)

    def all_indexed() -> bool:
        for op_id in list(pending):
            status = client.get(f"/v1/operations/{op_id}").json()["status"]
            assert status != "failed", op_id
            if status == "indexed":
                pending.discard(op_id)
        return not pending

    eventually(
        all_indexed,
        what=lambda: f"{len(pending)} operations to be indexed",
        timeout=timeout,
        interval=0.5,
    )


def test_the_gateway_reports_its_nodes_peers_and_the_sealers(consortium: Consortium) -> None:
    """`GET /v1/chain/network` (the console's status page): on Clique, the gateway's node
    with its three peers and the four sealers of the network."""
    c = consortium

    def connected() -> dict[str, Any] | None:
        with c.client("core") as core:
            response = core.get("/v1/chain/network")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found if found["peer_count"] == c.network.nodes - 1 else None

    network = eventually(connected, what="the gateway's node connected to its peers")
    assert network["engine"] == "clique"
    assert sorted(network["sealers"]) == sorted(c.network.sealers)
    assert len(network["sealers"]) == 4


def test_story_and_a_sealer_killed_under_load_lose_and_double_nothing(
    consortium: Consortium,
) -> None:
    c = consortium
    core, supplier1, bank = c.client("core"), c.client("supplier1"), c.client("bank")
    invoice = ("invoice.txt", b"clique invoice", "text/plain")
    assert core.post("/v1/documents", files={"file": invoice}).status_code == 201
    issued = write(core, "/v1/receivables", "issue", {
        "creditor": c.addresses["supplier1"], "face_amount": cny(10**9), "currency": "CNY",
        "due_date": DUE, "document_hash": h("clique invoice"),
    })  # fmt: skip
    slot, root = (
        int(event(issued, "ReceivableIssued")["slot"]),
        int(event(issued, "ReceivableIssued")["tokenId"]),
    )
    write(supplier1, f"/v1/receivables/{slot}/accept", "accept")
    split = write(
        supplier1,
        f"/v1/pieces/{root}/transfers",
        "split",
        {"to": c.addresses["supplier2"], "value": cny(10**6)},
    )
    child = int(event(split, "PieceSplit")["childTokenId"])
    supplier2 = c.client("supplier2")
    write(supplier2, f"/v1/pieces/{child}/sign", "sign")  # 签收
    terms = {
        "advance": cny(900_000),
        "repayment": cny(0),
        "fees": cny(2_000),
        "fund_by": DUE - 86_400,
    }
    asked = write(supplier2, "/v1/financing-requests", "request", {
        "token_id": child, "financiers": [c.addresses["bank"]], "terms": terms,
    })  # fmt: skip
    request_id = int(event(asked, "FinancingRequested")["requestId"])
    offer = {**terms, "fees": cny(3_000)}  # the bank's own terms: the requester must accept them
    write(bank, f"/v1/financing-requests/{request_id}/offers", "offer", offer)
    accept = {"financier": c.addresses["bank"], "terms": offer}
    write(supplier2, f"/v1/financing-requests/{request_id}/accept", "accept-offer", accept)
    write(bank, f"/v1/financing-requests/{request_id}/fund", "fund", {"payment_ref": h("wire")})
    funded = bank.get(f"/v1/pieces/{child}").json()
    assert (funded["holder"], funded["state"]) == (c.addresses["bank"], "financed")

    # Maturity on a short receivable: the debtor pays off-chain, each payee confirms.
    chain_now = int(web3_for(c.network, 0).eth.get_block("latest")["timestamp"])
    short_due = chain_now + 30
    assert core.post("/v1/documents", files={"file": ("s.txt", b"short", "text/plain")}).is_success
    short = write(core, "/v1/receivables", "issue-short", {
        "creditor": c.addresses["supplier1"], "face_amount": cny(100_000), "currency": "CNY",
        "due_date": short_due, "document_hash": h("short"),
    })  # fmt: skip
    short_slot = int(event(short, "ReceivableIssued")["slot"])
    short_root = int(event(short, "ReceivableIssued")["tokenId"])
    write(supplier1, f"/v1/receivables/{short_slot}/accept", "accept-short")
    part = write(supplier1, f"/v1/pieces/{short_root}/transfers", "split-short",
                 {"to": c.addresses["supplier2"], "value": cny(40_000)})  # fmt: skip
    short_child = int(event(part, "PieceSplit")["childTokenId"])
    write(supplier2, f"/v1/pieces/{short_child}/sign", "sign-short")
    eventually(
        lambda: int(web3_for(c.network, 0).eth.get_block("latest")["timestamp"]) > short_due,
        what="a block past the short receivable's due date",
        timeout=120,
        interval=1,
    )
    pay = {"slot": short_slot, "token_ids": [short_root, short_child], "payment_ref": "run"}
    write(core, "/v1/settlements", "settle-short", pay)
    write(supplier1, f"/v1/settlements/{short_root}/confirm", "confirm-1")
    write(supplier2, f"/v1/settlements/{short_child}/confirm", "confirm-2")
    settled = core.get("/v1/settlements", params={"slot": short_slot}).json()["items"]
    assert [(s["token_id"], s["status"], s["amount"]) for s in settled] == [
        (short_root, "settled", cny(60_000)),
        (short_child, "settled", cny(40_000)),
    ]
    supplier2.close()

    # Steady load of splits; sealer 3 is killed in the middle and comes back afterwards.
    operation_ids: list[str] = []
    for i in range(24):
        if i == 8:
            c.network.stop_node(3)
        send = {"to": c.addresses["supplier2"], "value": cny(10_000 + i)}
        op = write(supplier1, f"/v1/pieces/{root}/transfers", f"load-{i}", send, wait=False)
        operation_ids.append(op["id"])
        time.sleep(0.2)
    wait_indexed(supplier1, operation_ids)
    c.network.start_node(3)

    engine = create_db_engine(c.database)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Operation.idempotency_key, Operation.nonce, Operation.tx_hash).where(
                Operation.idempotency_key.like("load-%")
            )
        ).all()
    assert len(rows) == 24
    assert len({r.tx_hash for r in rows}) == 24
    nonces = sorted(r.nonce for r in rows)
    assert nonces == list(range(nonces[0], nonces[0] + 24))
    with c.client("supplier2") as supplier2:  # the payee sees the pieces it received
        listed = supplier2.get("/v1/pieces", params={"limit": 100}).json()["items"]
    values = sorted(
        fen(p["value"])
        for p in listed
        if p.get("parent_token_id") == root and p["holder"] == c.addresses["supplier2"]
    )
    # Each split once (awaiting supplier2's signature, seen by its sender); the first was factored.
    assert values == [10_000 + i for i in range(24)]
    w3 = web3_for(c.network, 0)
    eventually(
        lambda: c.network.head(3) >= w3.eth.block_number - 1,
        what="the restarted sealer to resync",
        timeout=60,
        interval=0.5,
    )
    assert str(web3_for(c.network, 3).eth.get_block(5)["hash"]) == str(w3.eth.get_block(5)["hash"])


def test_isolated_node_falls_behind_and_rejoins(consortium: Consortium) -> None:
    network = consortium.network
    others = [0, 1, 2]
    enode_of = {i: rpc_call(network.rpc_url(i), "admin_nodeInfo", [])["enode"] for i in range(4)}
    for i in others:  # cut node 3 off both ways
        rpc_call(network.rpc_url(i), "admin_removeTrustedPeer", [enode_of[3]])
        rpc_call(network.rpc_url(i), "admin_removePeer", [enode_of[3]])
        rpc_call(network.rpc_url(3), "admin_removeTrustedPeer", [enode_of[i]])
        rpc_call(network.rpc_url(3), "admin_removePeer", [enode_of[i]])
    eventually(
        lambda: int(rpc_call(network.rpc_url(3), "net_peerCount", []), 16) == 0,
        what="node 3 to lose its peers",
        interval=0.2,
    )
    isolated_at = network.head(3)
    start = network.head(0)
    eventually(
        lambda: network.head(0) >= start + 4,
        what="the three connected sealers to keep sealing",
        timeout=60,
        interval=0.5,
    )
    assert network.head(3) <= isolated_at + 2  # while the isolated one cannot follow
    for i in others:
        rpc_call(network.rpc_url(3), "admin_addTrustedPeer", [enode_of[i]])
        rpc_call(network.rpc_url(3), "admin_addPeer", [enode_of[i]])
        rpc_call(network.rpc_url(i), "admin_addTrustedPeer", [enode_of[3]])
    eventually(
        lambda: network.head(3) >= network.head(0) - 1,
        what="node 3 to rejoin and catch up",
        timeout=60,
        interval=0.5,
    )


def test_a_set_off_round_clears_a_cycle_on_clique(consortium: Consortium) -> None:
    """core owes supplier1, supplier1 owes supplier2, supplier2 owes core: the plan's round
    is proposed, each party consents, it executes atomically. (The plan clears the oldest
    pieces of a pair first: core's debt to supplier1 may clear from the story's root.)"""
    c = consortium
    chain_now = int(web3_for(c.network, 0).eth.get_block("latest")["timestamp"])
    for debtor, creditor in (
        ("core", "supplier1"),
        ("supplier1", "supplier2"),
        ("supplier2", "core"),
    ):
        text = f"set-off invoice {debtor}"
        with c.client(debtor) as client:
            upload = ("s.txt", text.encode(), "text/plain")
            assert client.post("/v1/documents", files={"file": upload}).is_success
            issued = write(client, "/v1/receivables", f"issue-{text}", {
                "creditor": c.addresses[creditor], "face_amount": cny(50_000_00),
                "currency": "CNY", "due_date": chain_now + 90 * 86_400, "document_hash": h(text),
            })  # fmt: skip
        slot = int(event(issued, "ReceivableIssued")["slot"])
        with c.client(creditor) as client:
            write(client, f"/v1/receivables/{slot}/accept", f"accept-{text}")
    with c.client("core") as core:
        plan = core.get("/v1/setoff/plan", params={"currency": "CNY"}).json()
        (planned,) = plan["rounds"]
        deadline = chain_now + 7 * 86_400
        body = {"plan_round": planned["number"], "currency": "CNY", "deadline": deadline}
        proposed = write(core, "/v1/setoff/rounds", "propose", body)
    round_id = int(event(proposed, "RoundProposed")["roundId"])
    for name in ("core", "supplier1", "supplier2"):
        with c.client(name) as client:
            consented = write(client, f"/v1/setoff/rounds/{round_id}/consent", "consent")
        assert consented["status"] == "indexed", consented
    with c.client("supplier1") as supplier1:
        executed = write(supplier1, f"/v1/setoff/rounds/{round_id}/execute", "execute")
        assert executed["status"] == "indexed", executed
        shown = supplier1.get(f"/v1/setoff/rounds/{round_id}").json()
    assert (shown["status"], shown["item_count"], fen(shown["total"])) == (
        "executed",
        3,
        3 * 50_000_00,
    )
    with c.client("supplier2") as supplier2:
        for item in shown["items"]:
            piece = supplier2.get(f"/v1/pieces/{item['piece']}")
            if piece.status_code == 200:  # the pieces it holds or owes
                assert fen(piece.json()["value"]) == fen(item["remaining"])
    assert [fen(i["amount"]) for i in shown["items"]] == [50_000_00] * 3
