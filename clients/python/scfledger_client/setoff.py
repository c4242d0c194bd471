"""Endpoints of set-off (三角债清理): the plan, proposing a round, each party's answer,
execution and the rounds (docs/setoff.md)."""

from __future__ import annotations

from typing import Literal, Unpack

from scfledger_client.calls import (
    Call,
    EndpointsBase,
    WriteOptions,
    Written,
    endpoint,
    model,
    query,
)
from scfledger_client.models import PlanOut, ProposeIn, RefuseRoundIn, RoundOut, RoundPage

RoundStatus = Literal["proposed", "refused", "executed", "lapsed"]


class SetOffEndpoints(EndpointsBase):
    @endpoint
    def setoff_plan(self, currency: str) -> Call[PlanOut]:
        """The plan of `currency` on the index as it stands: the rounds (yours, with your
        items; auditors: all) and positions before and after."""
        return Call("GET", "/v1/setoff/plan", model(PlanOut), {"currency": currency})

    @endpoint
    def propose_round(self, body: ProposeIn, **options: Unpack[WriteOptions]) -> Call[Written]:
        """Propose a round: its items, or the plan's round `plan_round` of `currency`."""
        return self._write("/v1/setoff/rounds", body, **options)

    @endpoint
    def setoff_rounds(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        status: RoundStatus | None = None,
        awaiting_me: bool | None = None,
    ) -> Call[RoundPage]:
        """Rounds you are party to or proposed (auditors: all), by id."""
        awaiting = None if awaiting_me is None else str(awaiting_me).lower()
        params = query(cursor=cursor, limit=limit, status=status, awaiting_me=awaiting)
        return Call("GET", "/v1/setoff/rounds", model(RoundPage), params)

    @endpoint
    def setoff_round(self, round_id: int) -> Call[RoundOut]:
        return Call("GET", f"/v1/setoff/rounds/{round_id}", model(RoundOut))

    @endpoint
    def consent_round(self, round_id: int, **options: Unpack[WriteOptions]) -> Call[Written]:
        """Consent to a round you are party to (a draft for a checker under the default
        policy)."""
        return self._write(f"/v1/setoff/rounds/{round_id}/consent", **options)

    @endpoint
    def refuse_round(
        self, round_id: int, reason: str, **options: Unpack[WriteOptions]
    ) -> Call[Written]:
        """Refuse a round you are party to: it can no longer execute."""
        body = RefuseRoundIn(reason=reason)
        return self._write(f"/v1/setoff/rounds/{round_id}/refuse", body, **options)

    @endpoint
    def execute_round(self, round_id: int, **options: Unpack[WriteOptions]) -> Call[Written]:
        """Execute a round every party consented to: every piece shrinks, or none."""
        return self._write(f"/v1/setoff/rounds/{round_id}/execute", **options)
