"""chain/generated.py says what the deployed contracts say: constants, enums, structs, errors."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils.abi import function_signature_to_4byte_selector

from scfledger.chain import generated
from scfledger.chain.artifacts import load_artifact
from scfledger.chain.contract_types import record, snake
from scfledger.chain.generated import (
    ERRORS,
    Member,
    MemberStatus,
    Mode,
    PieceState,
    PieceView,
    Receivable,
    ReceivableStatus,
    Request,
    RequestStatus,
    Role,
    Terms,
)
from tests.support.ledger import Consortium

SHIPPED = ("ConsortiumRegistry", "DepositToken", "Financing", "ReceivableToken", "SetOff")
CONSTANTS = {
    "ConsortiumRegistry": ("MIN_THRESHOLD", "MIN_PROPOSAL_LIFETIME", "MAX_PROPOSAL_LIFETIME"),
    "Financing": ("MIN_REQUEST_TTL", "MAX_REQUEST_TTL", "MAX_FINANCIERS"),
    "ReceivableToken": (
        "MAX_EVIDENCE_PER_PIECE",
        "DEPTH_CEILING",
        "MAX_SETTLE_BATCH",
        "PERIOD_CEILING",
        "WINDOW_FLOOR",
        "MAX_TERM",
    ),
    "SetOff": ("MAX_ROUND_ITEMS", "MAX_ROUND_TTL"),
}


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


def test_every_public_constant_is_what_the_deployed_contract_returns(
    consortium: Consortium,
) -> None:
    contracts = {
        "ConsortiumRegistry": consortium.registry,
        "Financing": consortium.financing,
        "ReceivableToken": consortium.token,
        "SetOff": consortium.set_off,
    }
    for contract, names in CONSTANTS.items():
        for name in names:
            on_chain = contracts[contract].functions[name]().call()
            assert getattr(generated, name) == on_chain, f"{contract}.{name}"


def test_the_error_table_is_every_error_of_the_shipped_abis() -> None:
    expected: dict[str, tuple[str, tuple[tuple[str, str], ...], list[str]]] = {}
    for contract in SHIPPED:
        for item in load_artifact(contract).abi:
            if item["type"] != "error":
                continue
            params = tuple((p["name"], _abi_type(p)) for p in item["inputs"])
            signature = f"{item['name']}({','.join(t for _, t in params)})"
            selector = "0x" + function_signature_to_4byte_selector(signature).hex()
            expected.setdefault(selector, (item["name"], params, []))[2].append(contract)
    table = {e.selector: (e.name, e.params, list(e.contracts)) for e in ERRORS}
    assert table == expected
    assert len({e.name for e in ERRORS}) == len(ERRORS), "an error name is overloaded"


def test_role_bits_are_the_registry_roles_of_members(consortium: Consortium) -> None:
    def member(name: str) -> Member:
        return record(
            Member, consortium.registry.functions.getMember(consortium.accounts[name]).call()
        )

    assert member("core").roles == Role.CORE_ENTERPRISE
    assert member("bank").roles == Role.FINANCIER
    assert member("admin1").roles & Role.ADMIN
    assert member("auditor").status is MemberStatus.ACTIVE
    assert sum(role for role in Role if role.bit_count() == 1) == Role.ALL
    assert Role.SUPPLIER | Role.FINANCIER == Role.HOLDERS


def test_structs_decode_by_field_name_with_enums(consortium: Consortium) -> None:
    c = consortium
    slot, root = c.issue()
    piece = record(PieceView, c.token.functions.getPiece(root).call())
    assert (piece.token_id, piece.slot, piece.holder) == (root, slot, c.supplier1)
    assert piece.state is PieceState.PENDING
    receivable = record(Receivable, c.token.functions.getReceivable(slot).call())
    assert (receivable.debtor, receivable.creditor) == (c.core, c.supplier1)
    assert receivable.status is ReceivableStatus.PENDING
    c.tx(c.token.functions.accept(slot), c.supplier1)
    assert record(PieceView, c.token.functions.getPiece(root).call()).state is PieceState.ACTIVE
    request_id = c.request(root, pledge=True)
    request = record(Request, c.financing.functions.getRequest(request_id).call())
    assert request.status is RequestStatus.REQUESTED
    assert request.mode is Mode.PLEDGE
    assert isinstance(request.asked, Terms)
    assert request.asked == Terms(*c.asked_terms(request_id))
    assert request.financiers == [c.bank]


def test_record_refuses_a_value_of_another_shape() -> None:
    with pytest.raises(ValueError, match="Terms has 4 fields"):
        record(Terms, (1, 2, 3))


def test_enum_labels_are_the_read_model_names() -> None:
    assert PieceState.AWAITING_CONFIRMATION.label == "awaiting_confirmation"
    assert RequestStatus.of_label("recourse_claimed") is RequestStatus.RECOURSE_CLAIMED
    assert PieceState.labels()[PieceState.EXPIRED] == "expired"
    assert [snake(n) for n in ("tokenId", "AwaitingConfirmation", "ERC20Error")] == [
        "token_id",
        "awaiting_confirmation",
        "erc20_error",
    ]
