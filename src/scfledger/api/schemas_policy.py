"""A financier's risk policy as the API reads and writes it: the amount limits as decimal
strings, read in the currency of the request being judged (every currency of a ledger has
the ledger's value decimals, so one string means the same minor units in each)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from scfledger.api.fields import AmountOrZeroText, AmountOut
from scfledger.risk.policy import Policy, PolicyRules
from scfledger.services.ledger_money import LedgerMoney

LIMIT = "A limit in the currency of the request being judged; null turns it off"


class PolicyBody(PolicyRules):
    """A financier's rules (PUT /v1/policies replaces them all: an omitted rule takes its
    default)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "advance_bands": [
                        {"min_on_time_bps": 9_500, "max_advance_bps": 9_000},
                        {"min_on_time_bps": 0, "max_advance_bps": 6_000},
                    ],
                    "min_on_time_bps": 8_000,
                    "max_open_overdue_value": "0.00",
                    "max_exposure_per_debtor": "5000000.00",
                    "max_depth": 4,
                    "auto_decide": False,
                }
            ]
        },
    )

    max_open_overdue_value: AmountOrZeroText | None = Field(
        default="0", description=f"{LIMIT}. Overdue value the debtor may have open"
    )
    max_exposure_per_debtor: AmountOrZeroText | None = Field(
        default=None, description=f"{LIMIT}. The financier's exposure to one debtor"
    )


class PolicyOut(PolicyRules):
    """A financier's rules as stored, the amount limits in the ledger's value decimals."""

    max_open_overdue_value: AmountOut | None = Field(description=LIMIT)
    max_exposure_per_debtor: AmountOut | None = Field(description=LIMIT)


def policy_of(body: PolicyBody, money: LedgerMoney) -> Policy:
    """The policy a body asks for, its limits in minor units (`amount-too-precise` and the
    other amount problems name the field)."""

    def minor(text: str | None, name: str) -> int | None:
        return None if text is None else money.parse(text, None, field=name, allow_zero=True)

    return Policy(
        **body.rules(),
        max_open_overdue_value=minor(body.max_open_overdue_value, "max_open_overdue_value"),
        max_exposure_per_debtor=minor(body.max_exposure_per_debtor, "max_exposure_per_debtor"),
    )


def policy_out(policy: Policy, money: LedgerMoney) -> PolicyOut:
    return PolicyOut(
        **policy.rules(),
        max_open_overdue_value=money.optional(policy.max_open_overdue_value),
        max_exposure_per_debtor=money.optional(policy.max_exposure_per_debtor),
    )
