"""One table maps every contract error to one problem: the table and the ABIs agree."""

from __future__ import annotations

import json

from eth_abi.abi import encode

from scfledger.api.errors import REVERT_STATUS, error_response
from scfledger.chain.generated import ERRORS
from scfledger.chain.reverts import decode_revert
from scfledger.exceptions import ContractRevert

ADDRESS = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"


def test_every_contract_error_has_a_status_and_no_entry_names_an_unknown_error() -> None:
    declared = {error.name for error in ERRORS}
    assert sorted(declared - REVERT_STATUS.keys()) == [], "contract errors without a status"
    assert sorted(REVERT_STATUS.keys() - declared) == [], "statuses of errors no ABI declares"
    assert set(REVERT_STATUS.values()) == {403, 404, 409, 422}


def test_a_decoded_revert_becomes_the_problem_of_its_error() -> None:
    spec = next(e for e in ERRORS if e.name == "NotHolder")
    data = spec.selector_bytes + encode([t for _, t in spec.params], [9, ADDRESS])
    decoded = decode_revert(data, "ReceivableToken")
    assert isinstance(decoded, ContractRevert)
    response = error_response(decoded)
    body = json.loads(bytes(response.body))
    assert response.status_code == 403
    assert body["type"] == "https://scfledger.dev/problems/not-holder"
    assert body["error"] == {"name": "NotHolder", "args": {"tokenId": 9, "caller": ADDRESS}}
    assert body["detail"] == f"ReceivableToken: NotHolder(tokenId=9, caller='{ADDRESS}')"


def test_role_bits_in_a_refusal_are_named() -> None:
    spec = next(e for e in ERRORS if e.name == "MissingRole")
    data = spec.selector_bytes + encode([t for _, t in spec.params], [ADDRESS, 4 | 8])
    decoded = decode_revert(data, "ConsortiumRegistry")
    assert isinstance(decoded, ContractRevert)
    body = json.loads(bytes(error_response(decoded).body))
    assert body["type"] == "https://scfledger.dev/problems/missing-role"
    assert body["detail"] == (
        f"ConsortiumRegistry: MissingRole(account='{ADDRESS}', requiredRoles=12)"
        "; requiredRoles: supplier, financier"
    )
    assert body["error"]["args"]["requiredRoles"] == 12  # the exact value stays
