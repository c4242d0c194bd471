"""Endpoints of members, chain time, operations, health, receivables (by slot) and pieces
(by token id)."""

from __future__ import annotations

from typing import Unpack

from scfledger_client.calls import (
    OPERATION,
    Call,
    EndpointsBase,
    WriteOptions,
    Written,
    endpoint,
    model,
    query,
    segment,
)
from scfledger_client.models import (
    ChainTimeOut,
    EvidenceIn,
    EvidenceOut,
    HealthOut,
    IssueIn,
    LineageOut,
    MemberOut,
    OperationOut,
    PieceOut,
    PiecePage,
    ReadinessOut,
    ReceivableOut,
    RejectIn,
    TransferIn,
    TransferOut,
)


class LedgerEndpoints(EndpointsBase):
    # -- members, operations, health ----------------------------------------------------

    @endpoint
    def members(self) -> Call[list[MemberOut]]:
        """Every consortium member."""
        return Call("GET", "/v1/members", model(list[MemberOut]))

    @endpoint
    def chain_time(self) -> Call[ChainTimeOut]:
        """The chain's clock (latest and last indexed block) beside the gateway's."""
        return Call("GET", "/v1/chain/time", model(ChainTimeOut))

    @endpoint
    def operation(self, operation_id: str) -> Call[OperationOut]:
        """One of the caller's own operations."""
        return Call("GET", f"/v1/operations/{segment(operation_id)}", OPERATION)

    @endpoint
    def health(self) -> Call[HealthOut]:
        return Call("GET", "/healthz", model(HealthOut))

    @endpoint
    def ready(self) -> Call[ReadinessOut]:
        """`/readyz`; a not-ready gateway answers 503, raised as `ApiProblem` after retries."""
        return Call("GET", "/readyz", model(ReadinessOut))

    # -- receivables, by slot -------------------------------------------------------------

    @endpoint
    def issue(
        self,
        body: IssueIn,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Confirm a receivable owed to a creditor (core enterprises)."""
        return self._write("/v1/receivables", body, **options)

    @endpoint
    def receivable(self, slot: int) -> Call[ReceivableOut]:
        """A receivable by its slot (its pieces are `list_pieces(slot=slot)`)."""
        return Call("GET", f"/v1/receivables/{slot}", model(ReceivableOut))

    @endpoint
    def accept_receivable(
        self,
        slot: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Accept a pending receivable (its creditor)."""
        return self._write(f"/v1/receivables/{slot}/accept", **options)

    @endpoint
    def reject_receivable(
        self,
        slot: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Refuse a pending receivable (its creditor); `reason`: 0x + 64 hex or text."""
        return self._write(f"/v1/receivables/{slot}/reject", RejectIn(reason=reason), **options)

    @endpoint
    def cancel_receivable(
        self,
        slot: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Withdraw a receivable not yet accepted (its debtor)."""
        return self._write(f"/v1/receivables/{slot}/cancel", **options)

    @endpoint
    def expire_receivable(
        self,
        slot: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Lapse a receivable its creditor did not accept in time."""
        return self._write(f"/v1/receivables/{slot}/expire", **options)

    # -- pieces, by token id ------------------------------------------------------------

    @endpoint
    def list_pieces(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        holder: str | None = None,
        state: str | None = None,
        slot: int | None = None,
        debtor: str | None = None,
        due_from: int | None = None,
        due_to: int | None = None,
        document_hash: str | None = None,
    ) -> Call[PiecePage]:
        """Visible pieces by token id; continue with `cursor=page.next_cursor`. The due
        range is in Unix seconds, both ends included; `document_hash` is the receivable's
        invoice (0x + SHA-256 hex)."""
        params = query(
            cursor=cursor,
            limit=limit,
            holder=holder,
            state=state,
            slot=slot,
            debtor=debtor,
            due_from=due_from,
            due_to=due_to,
            document_hash=document_hash,
        )
        return Call("GET", "/v1/pieces", model(PiecePage), params)

    @endpoint
    def piece(self, token_id: int) -> Call[PieceOut]:
        """A piece by its token id, with its receivable."""
        return Call("GET", f"/v1/pieces/{token_id}", model(PieceOut))

    @endpoint
    def lineage(self, token_id: int) -> Call[LineageOut]:
        return Call("GET", f"/v1/pieces/{token_id}/lineage", model(LineageOut))

    @endpoint
    def transfers(self, token_id: int) -> Call[list[TransferOut]]:
        """A piece's moves, oldest first: whole transfers of it and splits out of it."""
        return Call("GET", f"/v1/pieces/{token_id}/transfers", model(list[TransferOut]))

    @endpoint
    def transfer(
        self,
        token_id: int,
        body: TransferIn,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Send part of a piece to another member (its holder)."""
        return self._write(f"/v1/pieces/{token_id}/transfers", body, **options)

    @endpoint
    def sign_piece(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Sign for a piece sent to you (签收, its receiver)."""
        return self._write(f"/v1/pieces/{token_id}/sign", **options)

    @endpoint
    def refuse_piece(
        self,
        token_id: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Refuse a piece sent to you (its receiver); its value goes back to the sender."""
        return self._write(f"/v1/pieces/{token_id}/refuse", RejectIn(reason=reason), **options)

    @endpoint
    def mark_overdue(self, token_id: int, **options: Unpack[WriteOptions]) -> Call[Written]:
        """Mark an unpaid piece overdue once its due date and the slot's grace period passed."""
        return self._write(f"/v1/pieces/{token_id}/overdue", **options)

    @endpoint
    def mark_defaulted(self, token_id: int, **options: Unpack[WriteOptions]) -> Call[Written]:
        """Mark an overdue piece defaulted once the slot's default period passed too."""
        return self._write(f"/v1/pieces/{token_id}/default", **options)

    @endpoint
    def recall_piece(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Take back a piece you sent that its receiver has not signed for (its sender)."""
        return self._write(f"/v1/pieces/{token_id}/recall", **options)

    @endpoint
    def attach_evidence(
        self,
        token_id: int,
        evidence_hash: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Anchor a SHA-256 (0x + 64 hex) on a piece you hold, each once."""
        return self._write(
            f"/v1/pieces/{token_id}/evidence",
            EvidenceIn(evidence_hash=evidence_hash),
            **options,
        )

    @endpoint
    def evidence(self, token_id: int) -> Call[list[EvidenceOut]]:
        """The evidence hashes anchored on a piece, oldest first."""
        return Call("GET", f"/v1/pieces/{token_id}/evidence", model(list[EvidenceOut]))
