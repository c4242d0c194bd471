"""The table of event amounts (services.event_money.AMOUNTS) held to the contracts' ABI."""

from __future__ import annotations

from typing import Any

from scfledger.chain.artifacts import load_artifact
from scfledger.services.event_money import AMOUNTS, ERROR_AMOUNTS

# Names the contracts give money in events; every uint256 so named is an amount.
MONEY_NAMES = {"value", "_value", "amount", "advance", "repayment", "fees", "faceAmount"}
MONEY_NAMES |= {"lienAmount", "oldMinPieceValue", "newMinPieceValue", "remaining", "total"}
CONTRACTS = ("ConsortiumRegistry", "ReceivableToken", "Financing", "DepositToken", "SetOff")


def _amounts(params: list[dict[str, Any]], prefix: str = "") -> list[str]:
    found = []
    for param in params:
        if param["type"] == "tuple":
            found += _amounts(param["components"], f"{prefix}{param['name']}.")
        elif param["type"] == "uint256" and param["name"] in MONEY_NAMES:
            found.append(prefix + param["name"])
    return found


def test_every_money_argument_of_every_event_is_in_the_table_and_nothing_else() -> None:
    from_abi = {
        (contract, item["name"]): tuple(_amounts(item["inputs"]))
        for contract in CONTRACTS
        for item in load_artifact(contract).abi
        if item["type"] == "event" and _amounts(item["inputs"])
    }
    assert from_abi == AMOUNTS


def test_the_table_names_the_structs_fields_by_name() -> None:
    assert AMOUNTS[("Financing", "FinancingRequested")] == (
        "asked.advance",
        "asked.repayment",
        "asked.fees",
    )


def test_every_money_argument_of_every_contract_error_is_in_the_error_table() -> None:
    """Errors name money `value`, `amount`, `advance`, `fees`, `balance`, `allowance`,
    `needed`, `minimum` and (SetOff's `RoundUnbalanced`, signed) `net`; the registry's
    `InsufficientBalance` is wei (OpenZeppelin's Address), not money."""
    names = MONEY_NAMES | {"balance", "allowance", "needed", "minimum", "net"}
    from_abi = {
        item["name"]: tuple(
            p["name"]
            for p in item["inputs"]
            if p["type"] in ("uint256", "int256") and p["name"] in names
        )
        for contract in ("ReceivableToken", "Financing", "DepositToken", "SetOff")
        for item in load_artifact(contract).abi
        if item["type"] == "error"
    }
    # InvalidParameter's value is a period or the smallest piece: it names no unit; a
    # SafeCast overflow's is any number that did not fit.
    unitless = {"InvalidParameter", "SafeCastOverflowedUintDowncast"}
    shown = {name: args for name, args in from_abi.items() if args and name not in unitless}
    assert shown == ERROR_AMOUNTS
