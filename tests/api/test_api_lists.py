"""Lists through the SDK: receivables by debtor and due date, a piece's transfers, and
financing requests, each with the caller's visibility and cursor pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scfledger.chain.generated import Role
from scfledger.devchain.seed import DEMO_MEMBERS
from scfledger_client import ApiProblem, ScfClient, Written
from scfledger_client.models import FinancingIn, IssueIn, OperationOut, TermsIn, TransferIn
from tests.support.api import cny
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

DAY = 86_400
EARLY = 2_700_000_000  # 2055-07-24: within the 50-year term
LATE = EARLY + 90 * DAY


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("api-lists")
    # core2, bank2 and bank3 are only test_financing_requests_by_accepted_financier's.
    members = DEMO_MEMBERS | {
        "core2": int(Role.CORE_ENTERPRISE),
        "bank2": int(Role.FINANCIER),
        "bank3": int(Role.FINANCIER),
    }
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url, members) as served:
        yield served


def sdk(api: Served, participant: str) -> ScfClient:
    return ScfClient(api.url, api_key=api.seeded.api_keys[participant], wait="indexed")


def arg(op: Written, event: str, name: str) -> int:
    assert isinstance(op, OperationOut), op  # maker-checker is off here
    assert op.error is None, op
    return int(next(e.args[name] for e in op.events if e.name == event))


def test_lists_filter_page_and_keep_visibility(api: Served) -> None:
    core, supplier1, supplier2 = sdk(api, "core"), sdk(api, "supplier1"), sdk(api, "supplier2")
    bank, auditor = sdk(api, "bank"), sdk(api, "auditor")
    roots = {}
    for due, text in ((EARLY, b"invoice a1"), (LATE, b"invoice a2")):
        document = "0x" + core.upload_document(text, content_type="text/plain").sha256
        issued = core.issue(
            IssueIn(
                creditor=api.address("supplier1"),
                face_amount=cny(100_000),
                due_date=due,
                document_hash=document,
            )
        )
        supplier1.accept_receivable(arg(issued, "ReceivableIssued", "slot"))
        roots[due] = arg(issued, "ReceivableIssued", "tokenId")
    split = supplier1.transfer(
        roots[EARLY], TransferIn(to=api.address("supplier2"), value=cny(30_000))
    )
    assert isinstance(split, OperationOut)
    child = arg(split, "PieceSplit", "childTokenId")
    supplier2.sign_piece(child)  # 签收: until then its sender sees it too

    def tokens(client: ScfClient, **filters: Any) -> list[int]:
        return [p.token_id for p in client.list_pieces(**filters).items]

    # Debtor and due-date filters, within what each caller may see.
    everything = [roots[EARLY], roots[LATE], child]
    assert tokens(auditor, debtor=api.address("core")) == everything
    assert tokens(core, debtor=api.address("core")) == everything  # it pays every holder
    # supplier1's own pieces, not the child it paid supplier2 with (supplier2's business).
    assert tokens(supplier1, debtor=api.address("core")) == [roots[EARLY], roots[LATE]]
    assert tokens(supplier2, debtor=api.address("core")) == [child]
    assert tokens(auditor, debtor=api.address("bank")) == []
    assert tokens(auditor, due_from=EARLY, due_to=EARLY) == [roots[EARLY], child]
    assert tokens(auditor, due_from=EARLY + 1) == [roots[LATE]]
    assert tokens(supplier2, due_to=EARLY) == [child]
    assert tokens(auditor, debtor=api.address("core"), due_from=LATE, state="active") == [
        roots[LATE]
    ]
    # By the receivable's invoice (any case of its hex), within what each caller may see.
    late_document = core.piece(roots[LATE]).receivable.document_hash
    assert tokens(auditor, document_hash=late_document.upper().replace("0X", "0x")) == [roots[LATE]]
    early_document = core.piece(roots[EARLY]).receivable.document_hash
    assert tokens(auditor, document_hash=early_document) == [roots[EARLY], child]
    assert tokens(supplier2, document_hash=early_document) == [child]
    assert tokens(supplier2, document_hash=late_document) == []
    assert tokens(auditor, document_hash="0x" + "ab" * 32) == []
    with pytest.raises(ApiProblem) as bad_hash:
        auditor.list_pieces(document_hash="0x1234")
    assert (bad_hash.value.status, bad_hash.value.slug) == (422, "validation-error")
    with pytest.raises(ApiProblem) as reversed_range:
        auditor.list_pieces(due_from=LATE, due_to=EARLY)
    assert (reversed_range.value.status, reversed_range.value.slug) == (422, "invalid-input")
    with pytest.raises(ApiProblem) as bad_debtor:
        auditor.list_pieces(debtor="core")
    assert (bad_debtor.value.status, bad_debtor.value.slug) == (422, "validation-error")

    # A piece's transfers: the split out of the root, seen from the root and the child.
    moves = supplier1.transfers(roots[EARLY])
    assert [(m.kind, m.token_id, m.from_token_id, m.receiver, m.value) for m in moves] == [
        ("split", child, roots[EARLY], api.address("supplier2"), cny(30_000))
    ]
    assert moves[0].tx_hash == split.tx_hash
    assert supplier2.transfers(child) == []  # the child itself has not moved
    with pytest.raises(ApiProblem) as hidden:
        supplier2.transfers(roots[LATE])
    assert (hidden.value.status, hidden.value.slug) == (404, "not-found")

    # Financing requests: the requester's and the financier's, pages by id.
    asked = [
        arg(
            client.request_financing(
                FinancingIn(
                    token_id=token,
                    financiers=[api.address("bank")],
                    terms=TermsIn(
                        advance=cny(10_000), repayment=cny(0), fees=cny(0), fund_by=EARLY - 86_400
                    ),
                )
            ),
            "FinancingRequested",
            "requestId",
        )
        for client, token in ((supplier1, roots[LATE]), (supplier2, child))
    ]
    assert [r.id for r in supplier1.financing_requests().items] == asked[:1]
    assert [r.id for r in supplier2.financing_requests().items] == asked[1:]
    assert [r.id for r in bank.financing_requests().items] == asked
    assert [r.id for r in auditor.financing_requests(token_id=child).items] == asked[1:]
    assert core.financing_requests().items == []
    first = bank.financing_requests(limit=1)
    assert ([r.id for r in first.items], first.next_cursor) == (asked[:1], str(asked[0]))
    rest = bank.financing_requests(limit=1, cursor=first.next_cursor)
    assert [r.id for r in rest.items] == asked[1:]
    assert bank.piece(roots[LATE]).state == "financing"  # asked: it sees the piece
    bank.reject_financing(asked[0], "limit")
    assert [r.id for r in bank.financing_requests(status="requested").items] == asked[1:]
    # Refused, the piece is none of the bank's business any more; its request stays its own.
    with pytest.raises(ApiProblem) as refused:
        bank.piece(roots[LATE])
    assert (refused.value.status, refused.value.slug) == (404, "not-found")
    assert bank.financing_request(asked[0]).status == "rejected"
    with pytest.raises(ApiProblem) as bad_cursor:
        bank.financing_requests(cursor="x1")
    assert (bad_cursor.value.status, bad_cursor.value.slug) == (400, "invalid-cursor")
    for client in (core, supplier1, supplier2, bank, auditor):
        client.close()


def test_financing_requests_by_accepted_financier(api: Served) -> None:
    """`financier=` lists the requests whose accepted offer is that financier's (its own
    address: the requests a financier funds), only where the caller sees who won."""
    core2, supplier3 = sdk(api, "core2"), sdk(api, "supplier3")
    bank2, bank3, auditor = sdk(api, "bank2"), sdk(api, "bank3"), sdk(api, "auditor")
    due = EARLY - 30 * DAY  # before the other test's due-date filters
    terms = TermsIn(advance=cny(10_000), repayment=cny(0), fees=cny(0), fund_by=due - DAY)

    def request(financiers: list[str]) -> int:
        document = (
            "0x"
            + core2.upload_document(
                f"invoice {financiers}".encode(), content_type="text/plain"
            ).sha256
        )
        issued = core2.issue(
            IssueIn(
                creditor=api.address("supplier3"),
                face_amount=cny(50_000),
                due_date=due,
                document_hash=document,
            )
        )
        supplier3.accept_receivable(arg(issued, "ReceivableIssued", "slot"))
        asked = FinancingIn(
            token_id=arg(issued, "ReceivableIssued", "tokenId"),
            financiers=[api.address(f) for f in financiers],
            terms=terms,
        )
        return arg(supplier3.request_financing(asked), "FinancingRequested", "requestId")

    won = request(["bank2", "bank3"])  # bank2's offer is accepted; bank3 was asked too
    bank2.offer_financing(won, terms)
    supplier3.accept_offer(won, api.address("bank2"), terms)
    unanswered = request(["bank3"])

    def ids(client: ScfClient, financier: str) -> list[int]:
        return [r.id for r in client.financing_requests(financier=financier).items]

    assert [r.id for r in bank3.financing_requests().items] == [won, unanswered]
    assert ids(bank2, api.address("bank2")) == [won]  # the requests it funds
    assert ids(bank2, api.address("bank2").lower()) == [won]  # any case of the hex
    assert ids(supplier3, api.address("bank2")) == [won]  # the requester sees who won
    assert ids(auditor, api.address("bank2")) == [won]
    # bank3 sees the request it lost, not who won it: filtering by a rival tells it nothing.
    assert ids(bank3, api.address("bank2")) == []
    assert ids(bank3, api.address("bank3")) == []  # it won nothing; `unanswered` is open
    assert ids(supplier3, api.address("bank3")) == []
    with pytest.raises(ApiProblem) as bad:
        bank2.financing_requests(financier="me")
    assert (bad.value.status, bad.value.slug) == (422, "validation-error")
    for client in (core2, supplier3, bank2, bank3, auditor):
        client.close()
