"""`/v1/currencies`: the currencies the consortium accepts, with their minor digits."""

from __future__ import annotations

from fastapi import APIRouter

from scfledger import money
from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.schemas_node import AcceptedCurrencyOut, CurrenciesOut

router = APIRouter(tags=["ledger"], route_class=GuardedRoute)


@router.get("/v1/currencies")
def currencies(gateway: GatewayDep, actor: CurrentActor) -> CurrenciesOut:
    """The consortium's currencies (SCF_CURRENCIES, the first the deposit token's), each
    with its ISO 4217 minor digits and whether receivables may be issued in it on this
    ledger (its digits are the ledger's value decimals: docs/money.md)."""
    del actor  # any signed-in caller: what a form offers
    ledger = gateway.money
    decimals = ledger.value_decimals
    return CurrenciesOut(
        value_decimals=decimals,
        currencies=[
            AcceptedCurrencyOut(
                code=code,
                minor_digits=money.currency_exponent(code),
                issuable=money.currency_exponent(code) == decimals,
                deposit=code == ledger.base,
            )
            for code in ledger.accepted
        ],
    )
