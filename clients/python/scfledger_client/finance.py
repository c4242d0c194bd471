"""Endpoints of financing requests, risk and policies, settlements, escrow and the feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from scfledger_client.calls import (
    Call,
    EndpointsBase,
    WriteOptions,
    Written,
    endpoint,
    model,
    query,
)
from scfledger_client.models import (
    AcceptOfferIn,
    EscrowOut,
    EventPage,
    FinancingIn,
    FinancingOut,
    FinancingPage,
    FundIn,
    PolicyBody,
    PolicyOut,
    RejectIn,
    RepayIn,
    RiskOut,
    SettleIn,
    SettlementPage,
    TermsIn,
)


class FinanceEndpoints(EndpointsBase):
    # -- financing ------------------------------------------------------------------------

    @endpoint
    def request_financing(
        self,
        body: FinancingIn,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Ask one to five financiers to finance a piece you hold at the terms you name."""
        return self._write("/v1/financing-requests", body, **options)

    @endpoint
    def financing_requests(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        status: str | None = None,
        token_id: int | None = None,
        financier: str | None = None,
    ) -> Call[FinancingPage]:
        """Requests the caller made or was asked to finance (auditors: all), by id;
        `financier`: those whose accepted offer is that financier's (your own address: the
        requests you fund)."""
        params = query(
            cursor=cursor, limit=limit, status=status, token_id=token_id, financier=financier
        )
        return Call("GET", "/v1/financing-requests", model(FinancingPage), params)

    @endpoint
    def financing_request(self, request_id: int) -> Call[FinancingOut]:
        return Call("GET", f"/v1/financing-requests/{request_id}", model(FinancingOut))

    @endpoint
    def offer_financing(
        self,
        request_id: int,
        terms: TermsIn,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Offer terms on a request you are named in (a financier), replacing your offer."""
        return self._write(f"/v1/financing-requests/{request_id}/offers", terms, **options)

    @endpoint
    def accept_offer(
        self,
        request_id: int,
        financier: str,
        terms: TermsIn,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Accept a financier's standing offer (the requester), repeating its terms."""
        return self._write(
            f"/v1/financing-requests/{request_id}/accept",
            AcceptOfferIn(financier=financier, terms=terms),
            **options,
        )

    @endpoint
    def expire_financing(
        self,
        request_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Lapse a request past its deadline (unanswered, or accepted and not funded in time)."""
        return self._write(f"/v1/financing-requests/{request_id}/expire", **options)

    @endpoint
    def claim_recourse(
        self,
        request_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Claim recourse against the seller of a defaulted piece (its financier)."""
        return self._write(f"/v1/financing-requests/{request_id}/recourse", **options)

    @endpoint
    def repay_recourse(
        self,
        request_id: int,
        payment_ref: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Repay a recourse claim (its financier confirms an off-chain payment)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/recourse/repay",
            RepayIn(payment_ref=payment_ref),
            **options,
        )

    @endpoint
    def fund_financing(
        self,
        request_id: int,
        body: FundIn,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Record the advance's payment (the accepted financier)."""
        return self._write(f"/v1/financing-requests/{request_id}/fund", body, **options)

    @endpoint
    def reject_financing(
        self,
        request_id: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Decline a request you are named in (a financier)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/reject",
            RejectIn(reason=reason),
            **options,
        )

    @endpoint
    def withdraw_financing(
        self,
        request_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Withdraw a request before accepting an offer (its requester)."""
        return self._write(f"/v1/financing-requests/{request_id}/withdraw", **options)

    @endpoint
    def repay_financing(
        self,
        request_id: int,
        payment_ref: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Repay a funded pledge loan (its financier confirms the off-chain payment)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/repay",
            RepayIn(payment_ref=payment_ref),
            **options,
        )

    # -- risk -----------------------------------------------------------------------------

    @endpoint
    def risk(self, request_id: int) -> Call[RiskOut]:
        """A request's indicators and its financier's policy decision."""
        return Call("GET", f"/v1/financing-requests/{request_id}/risk", model(RiskOut))

    @endpoint
    def policy(self) -> Call[PolicyOut]:
        return Call("GET", "/v1/policies", model(PolicyOut))

    @endpoint
    def set_policy(self, policy: PolicyBody) -> Call[PolicyOut]:
        """Replaces the caller's whole policy: the fields set in `policy` (a limit set to None
        is off), the server's defaults for the others. A PUT: repeating it is harmless, so
        it is retried too."""
        return Call("PUT", "/v1/policies", model(PolicyOut), body=policy, only_set=True)

    # -- settlements, escrow, events ------------------------------------------------------

    @endpoint
    def settle(
        self,
        slot: int,
        token_ids: Sequence[int],
        payment_ref: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Settle 1 to 50 pieces of one receivable from its due date (its debtor)."""
        return self._write(
            "/v1/settlements",
            SettleIn(slot=slot, token_ids=list(token_ids), payment_ref=payment_ref),
            **options,
        )

    @endpoint
    def confirm_payment(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Confirm the debtor's off-chain payment of a piece (its payee)."""
        return self._write(f"/v1/settlements/{token_id}/confirm", **options)

    @endpoint
    def dispute_payment(
        self,
        token_id: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Dispute an off-chain payment (its payee): the piece is unpaid again."""
        return self._write(
            f"/v1/settlements/{token_id}/dispute", RejectIn(reason=reason), **options
        )

    @endpoint
    def finalize_settlement(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Finalize a settlement its payee left unconfirmed past the window (the debtor)."""
        return self._write(f"/v1/settlements/{token_id}/finalize", **options)

    @endpoint
    def escrow(self) -> Call[EscrowOut]:
        """Deposit-token payments waiting in escrow for the caller."""
        return Call("GET", "/v1/escrow", model(EscrowOut))

    @endpoint
    def claim_escrow(self, **options: Unpack[WriteOptions]) -> Call[Written]:
        """Take the payments escrowed for you while you were suspended."""
        return self._write("/v1/escrow/claim", **options)

    @endpoint
    def settlements(
        self, *, cursor: str | None = None, limit: int | None = None, slot: int | None = None
    ) -> Call[SettlementPage]:
        """Settlements the caller paid or was paid (auditors: all), by token id."""
        params = query(cursor=cursor, limit=limit, slot=slot)
        return Call("GET", "/v1/settlements", model(SettlementPage), params)

    @endpoint
    def events(self, *, after: str | None = None, limit: int | None = None) -> Call[EventPage]:
        """Visible chain events after the cursor `after`, oldest first. A page may be short
        or empty before the head: the head is reached when `next_cursor` equals `after`."""
        params = query(after=after, limit=limit)
        return Call("GET", "/v1/events", model(EventPage), params)
