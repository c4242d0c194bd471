"""Revert data of every shipped contract decodes into one typed error, in one place."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_tester.exceptions import TransactionFailed
from eth_utils.abi import function_signature_to_4byte_selector
from web3.exceptions import ContractCustomError

from scfledger.chain.reverts import call_decoding_reverts, decode_revert, revert_data
from scfledger.exceptions import ContractRevert, UnknownRevert

ADDRESS = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"


def error_data(signature: str, types: list[str], values: list[object]) -> bytes:
    return function_signature_to_4byte_selector(signature) + encode(types, values)


def test_custom_error_decodes_with_named_arguments_and_checksummed_addresses() -> None:
    # NotCreditor is declared by ReceivableToken alone (DebtorCannotHold, used before, is now
    # raised by Financing too, so its data cannot name one contract).
    data = error_data("NotCreditor(uint256,address)", ["uint256", "address"], [7, ADDRESS.lower()])
    decoded = decode_revert(data)
    assert isinstance(decoded, ContractRevert)
    assert (decoded.name, decoded.args_by_name) == (
        "NotCreditor",
        {"slot": 7, "caller": ADDRESS},
    )
    assert decoded.contract == "ReceivableToken"
    assert str(decoded) == f"ReceivableToken: NotCreditor(slot=7, caller='{ADDRESS}')"


def test_registry_errors_decode_from_the_registry_abi() -> None:
    data = error_data("MissingRole(address,uint256)", ["address", "uint256"], [ADDRESS, 12])
    decoded = decode_revert(data)
    assert isinstance(decoded, ContractRevert)
    assert (decoded.contract, decoded.name, decoded.values) == (
        "ConsortiumRegistry",
        "MissingRole",
        (ADDRESS, 12),
    )


def test_builtin_error_and_panic_decode() -> None:
    message = decode_revert(error_data("Error(string)", ["string"], ["boom"]))
    panic = decode_revert(error_data("Panic(uint256)", ["uint256"], [0x11]))
    assert isinstance(message, ContractRevert)
    assert message.values == ("boom",)
    assert isinstance(panic, ContractRevert)
    assert (panic.name, panic.values) == ("Panic", (0x11,))


def test_unknown_selector_and_malformed_payload_stay_raw() -> None:
    unknown = decode_revert(bytes.fromhex("deadbeef") + b"\0" * 32)
    assert isinstance(unknown, UnknownRevert)
    assert "0xdeadbeef" in str(unknown)
    truncated = function_signature_to_4byte_selector("DebtorCannotHold(uint256,address)") + b"\x01"
    assert isinstance(decode_revert(truncated), UnknownRevert)


def test_revert_data_is_read_from_web3_and_eth_tester_exceptions() -> None:
    data = error_data("ZeroValue()", [], [])
    assert revert_data(ContractCustomError("0x" + data.hex(), data="0x" + data.hex())) == data
    assert revert_data(TransactionFailed(f"execution reverted: {data!r}")) == data
    assert revert_data(ValueError("connection refused")) is None


def test_call_decoding_reverts_raises_the_decoded_error() -> None:
    data = error_data("ZeroValue()", [], [])

    def failing() -> None:
        raise TransactionFailed(f"execution reverted: {data!r}")

    with pytest.raises(ContractRevert, match="ZeroValue"):
        call_decoding_reverts(failing)


def test_call_decoding_reverts_passes_other_errors_through() -> None:
    def failing() -> None:
        raise ConnectionError("node down")

    with pytest.raises(ConnectionError):
        call_decoding_reverts(failing)


def test_an_error_several_contracts_declare_is_attributed_to_the_contract_called() -> None:
    # DebtorCannotHold is declared by Financing and by ReceivableToken.
    data = error_data("DebtorCannotHold(uint256,address)", ["uint256", "address"], [3, ADDRESS])
    called_token = decode_revert(data, "ReceivableToken")
    called_financing = decode_revert(data, "Financing")
    assert isinstance(called_token, ContractRevert)
    assert isinstance(called_financing, ContractRevert)
    assert (called_token.contract, called_financing.contract) == ("ReceivableToken", "Financing")
    assert str(called_token) == f"ReceivableToken: DebtorCannotHold(slot=3, debtor='{ADDRESS}')"
    # A call into a contract that does not declare it (the error bubbled up from a callee):
    # the first declaring contract by name.
    bubbled = decode_revert(data, "ConsortiumRegistry")
    assert isinstance(bubbled, ContractRevert)
    assert bubbled.contract == "Financing"


def test_errors_of_test_doubles_are_never_named_for_a_shipped_contract() -> None:
    # BaselineERC20 (a gas baseline under contracts/mocks/) declares the same ERC-20 errors as
    # the deposit token, and sorted first: such data named the mock before.
    data = error_data(
        "ERC20InsufficientBalance(address,uint256,uint256)",
        ["address", "uint256", "uint256"],
        [ADDRESS, 1, 2],
    )
    decoded = decode_revert(data)
    assert isinstance(decoded, ContractRevert)
    assert decoded.contract == "DepositToken"


def test_call_decoding_reverts_names_the_contract_called() -> None:
    data = error_data("NotHolder(uint256,address)", ["uint256", "address"], [1, ADDRESS])

    def failing() -> None:
        raise TransactionFailed(f"execution reverted: {data!r}")

    with pytest.raises(ContractRevert) as raised:
        call_decoding_reverts(failing, "ReceivableToken")
    assert (raised.value.name, raised.value.contract) == ("NotHolder", "ReceivableToken")
