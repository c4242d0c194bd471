"""Endpoints of maker-checker (复核): drafts, checkers' decisions, the participant's policy."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from scfledger_client.amounts import optional_amount
from scfledger_client.calls import Call, EndpointsBase, endpoint, model, query
from scfledger_client.models import (
    CheckerPolicyIn,
    CheckerPolicyOut,
    DecidedOut,
    DraftOut,
    DraftPage,
    DraftStatus,
    RejectIn,
    RevealedOut,
)


def _policy_or_draft(body: object) -> CheckerPolicyOut | DraftOut:
    if isinstance(body, dict) and body.get("object") == "draft":
        return DraftOut.model_validate(body)
    return CheckerPolicyOut.model_validate(body)


class CheckingEndpoints(EndpointsBase):
    @endpoint
    def drafts(
        self, status: DraftStatus | None = None, after: str | None = None, limit: int | None = None
    ) -> Call[DraftPage]:
        """The caller's participant's drafts, oldest first, a page after `after`."""
        params = query(status=status, after=after, limit=limit)
        return Call("GET", "/v1/drafts", model(DraftPage), params)

    @endpoint
    def draft(self, draft_id: int) -> Call[DraftOut]:
        return Call("GET", f"/v1/drafts/{draft_id}", model(DraftOut))

    @endpoint
    def approve_draft(self, draft_id: int) -> Call[DecidedOut]:
        """A checker's approval (a key with scope `approve`); `operation` once the approvals
        are enough. Sent once: a second approval by the same checker is a conflict."""
        return Call("POST", f"/v1/drafts/{draft_id}/approve", model(DecidedOut), retry=False)

    @endpoint
    def reveal_draft(self, draft_id: int) -> Call[RevealedOut]:
        """What an approved administration draft of the caller made (a temporary password,
        a second factor, an API key), shown to its maker once. Sent once."""
        return Call("POST", f"/v1/drafts/{draft_id}/reveal", model(RevealedOut), retry=False)

    @endpoint
    def reject_draft(self, draft_id: int, reason: str) -> Call[DraftOut]:
        body = RejectIn(reason=reason)
        path = f"/v1/drafts/{draft_id}/reject"
        return Call("POST", path, model(DraftOut), body=body, retry=False)

    @endpoint
    def checker_policy(self) -> Call[CheckerPolicyOut]:
        """The participant's maker-checker policy."""
        return Call("GET", "/v1/policy", model(CheckerPolicyOut))

    @endpoint
    def set_checker_policy(
        self,
        kinds: Sequence[str],
        two_checker_amount: Decimal | str | None = None,
        draft_ttl_hours: int = 72,
    ) -> Call[CheckerPolicyOut | DraftOut]:
        """Sets the policy (admins): the policy, or the draft a loosening waits in.
        `two_checker_amount` is in the deposit currency's units ("5000000.00"); a float
        or int raises TypeError before anything is sent."""
        body = CheckerPolicyIn.model_validate(
            {
                "kinds": list(kinds),
                "two_checker_amount": optional_amount(two_checker_amount),
                "draft_ttl_hours": draft_ttl_hours,
            }
        )
        return Call("PUT", "/v1/policy", _policy_or_draft, body=body, only_set=True)
