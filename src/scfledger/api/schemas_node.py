"""The response bodies of `GET /v1/chain/network` and `GET /v1/currencies`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChainNetworkOut(BaseModel):
    """The gateway's chain node and its network as the node reports them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "engine": "clique",
                    "peer_count": 3,
                    "sealers": [
                        "0x1aF3b8E4c3f2a6d8C5e7B9a0D1c2E3f4A5b6C7d8",
                        "0x2B4c6D8e0F1a3B5c7D9e1F3a5B7c9D1e3F5a7B9c",
                    ],
                }
            ]
        }
    )

    engine: Literal["dev", "bft", "clique", "unknown"] = Field(
        description="The consensus engine: dev (anvil, eth-tester), bft (QBFT, IBFT 2.0),"
        " clique, or unknown"
    )
    peer_count: int | None = Field(
        description="The node's connected peers (`net_peerCount`); null when the node does"
        " not say (a dev chain)"
    )
    sealers: list[str] | None = Field(
        description="The Clique sealers (`clique_getSigners`), checksummed; null when the"
        " network is not Clique or its node does not serve the clique API"
    )


class AcceptedCurrencyOut(BaseModel):
    code: str = Field(description="ISO 4217 code")
    minor_digits: int = Field(description="ISO 4217 minor-unit digits: 2 for CNY, 0 for JPY")
    issuable: bool = Field(
        description="Receivables may be issued in it here: its digits are the ledger's value"
        " decimals (else `POST /v1/receivables` answers 422 currency-not-accepted)"
    )
    deposit: bool = Field(description="The deposit token's currency (SCF_CURRENCIES' first)")


class CurrenciesOut(BaseModel):
    """The currencies the consortium accepts (SCF_CURRENCIES, in its order)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "value_decimals": 2,
                    "currencies": [
                        {"code": "CNY", "minor_digits": 2, "issuable": True, "deposit": True},
                        {"code": "HKD", "minor_digits": 2, "issuable": True, "deposit": False},
                    ],
                }
            ]
        }
    )

    value_decimals: int = Field(description="The ledger's value decimals (ReceivableToken)")
    currencies: list[AcceptedCurrencyOut]
