"""Endpoints of documents, webhooks, participants and API keys, relay and governance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Unpack

from scfledger_client.calls import (
    Call,
    EndpointsBase,
    WriteOptions,
    Written,
    endpoint,
    model,
    nothing,
    query,
    raw_bytes,
    segment,
)
from scfledger_client.models import (
    AdmissionIn,
    ApiKeyIn,
    ApiKeyOut,
    AuditPage,
    DocumentOut,
    DraftOut,
    IssuedApiKeyOut,
    ParticipantIn,
    ParticipantOut,
    ParticipantStatusOut,
    ProposalOut,
    ProposalStatus,
    RelayIn,
    RoleName,
    SuspensionIn,
    WebhookCreated,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _issued_or_draft(body: object) -> IssuedApiKeyOut | DraftOut:
    if isinstance(body, dict) and body.get("object") == "draft":
        return DraftOut.model_validate(body)
    return IssuedApiKeyOut.model_validate(body)


def _revoked_or_draft(content: bytes) -> DraftOut | None:
    """None for 204 (revoked), the draft for 202."""
    return DraftOut.model_validate_json(content) if content else None


class AdminEndpoints(EndpointsBase):
    # -- documents, webhooks --------------------------------------------------------------

    @endpoint
    def upload_document(
        self, data: bytes, content_type: str = "application/pdf", filename: str = "document"
    ) -> Call[DocumentOut]:
        """Stores a document by its SHA-256 (the same bytes again are the same document)."""
        files = {"file": (filename, data, content_type)}
        return Call("POST", "/v1/documents", model(DocumentOut), files=files)

    @endpoint
    def document(self, sha256: str) -> Call[bytes]:
        """The bytes of a document the caller may read (by its SHA-256, hex)."""
        return Call("GET", f"/v1/documents/{segment(sha256)}", raw_bytes, raw=True)

    @endpoint
    def create_webhook(
        self, url: str, event_names: Sequence[str] | None = None
    ) -> Call[WebhookCreated]:
        """Subscribes `url` to the caller's events; the secret is returned only here. Sent
        once: a retry after a lost answer would create a second webhook."""
        body = WebhookIn(url=url, event_names=None if event_names is None else list(event_names))
        return Call("POST", "/v1/webhooks", model(WebhookCreated), body=body, retry=False)

    @endpoint
    def webhooks(self) -> Call[list[WebhookOut]]:
        """The caller's webhooks (without their secrets)."""
        return Call("GET", "/v1/webhooks", model(list[WebhookOut]))

    @endpoint
    def delete_webhook(self, webhook_id: str) -> Call[None]:
        """Deletes one of the caller's webhooks. Sent once: a retry of a deletion that
        happened would answer 404."""
        path = f"/v1/webhooks/{segment(webhook_id)}"
        return Call("DELETE", path, nothing, raw=True, retry=False)

    @endpoint
    def webhook_deliveries(self, webhook_id: str) -> Call[list[WebhookDeliveryOut]]:
        """The latest deliveries of one of the caller's webhooks, with their attempts."""
        path = f"/v1/webhooks/{segment(webhook_id)}/deliveries"
        return Call("GET", path, model(list[WebhookDeliveryOut]))

    # -- participants, API keys, relay ----------------------------------------------------

    @endpoint
    def create_participant(self, name: str, address: str | None = None) -> Call[ParticipantOut]:
        """A new gateway participant and its API key, shown once (admins). Without
        `address`, the gateway creates its signing key. Sent once: not idempotent."""
        body = ParticipantIn(name=name, address=address)
        return Call("POST", "/v1/participants", model(ParticipantOut), body=body, retry=False)

    @endpoint
    def participant_status(self, name: str) -> Call[ParticipantStatusOut]:
        """The caller's own address, on-chain status and roles (`name` is the caller's
        participant name; anyone else's is 403 `foreign-participant`)."""
        return Call("GET", f"/v1/participants/{segment(name)}", model(ParticipantStatusOut))

    @endpoint
    def api_keys(self, name: str) -> Call[list[ApiKeyOut]]:
        """The caller's own participant's API keys by prefix, with owner, scopes and dates
        (`name` is the caller's participant name; a non-admin sees its own keys only)."""
        return Call("GET", f"/v1/participants/{segment(name)}/api-keys", model(list[ApiKeyOut]))

    @endpoint
    def issue_api_key(
        self, name: str, key: ApiKeyIn | None = None
    ) -> Call[IssuedApiKeyOut | DraftOut]:
        """Another API key of the caller's own participant, shown once (admins of active
        members): for `key.owner` (default the caller), with `key.scopes` and perhaps
        `key.expires_at`; or the draft it waits in for a checker (maker-checker: once
        approved, `reveal_draft` shows its maker the key once). Sent once."""
        path = f"/v1/participants/{segment(name)}/api-keys"
        return Call("POST", path, _issued_or_draft, body=key, retry=False)

    @endpoint
    def revoke_api_key(self, name: str, prefix: str) -> Call[DraftOut | None]:
        """Revokes a key of the caller's participant by its prefix: None once revoked, or the
        draft an admin's revocation of another's key waits in for a checker. Sent once."""
        path = f"/v1/participants/{segment(name)}/api-keys/{segment(prefix)}"
        return Call("DELETE", path, _revoked_or_draft, raw=True, retry=False)

    @endpoint
    def relay(
        self,
        raw_transaction: bytes | str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Relays a transaction signed with the caller's own key; followed like any write."""
        raw = raw_transaction if isinstance(raw_transaction, str) else "0x" + raw_transaction.hex()
        return self._write("/v1/transactions", RelayIn(raw_transaction=raw), **options)

    # -- governance -----------------------------------------------------------------------

    @endpoint
    def admit_member(
        self,
        address: str,
        name: str,
        legal_id: str,
        kyc: str,
        roles: Sequence[RoleName],
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Propose (or approve) admitting a member with its roles (admins)."""
        body = AdmissionIn(
            address=address, name=name, legal_id=legal_id, kyc=kyc, roles=list(roles)
        )
        return self._write("/v1/members", body, **options)

    @endpoint
    def suspend_member(
        self,
        address: str,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Propose suspending a member (admins)."""
        return self._write(
            f"/v1/members/{segment(address)}/suspend",
            SuspensionIn(reason=reason),
            **options,
        )

    @endpoint
    def reinstate_member(
        self,
        address: str,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Propose reinstating a suspended member (admins)."""
        return self._write(f"/v1/members/{segment(address)}/reinstate", **options)

    @endpoint
    def proposals(self, status: ProposalStatus | None = None) -> Call[list[ProposalOut]]:
        """Governance proposals, optionally of one status."""
        return Call("GET", "/v1/proposals", model(list[ProposalOut]), query(status=status))

    @endpoint
    def proposal(self, proposal_id: int) -> Call[ProposalOut]:
        return Call("GET", f"/v1/proposals/{proposal_id}", model(ProposalOut))

    @endpoint
    def approve_proposal(
        self,
        proposal_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Approve a pending proposal (admins); the last approval needed executes it."""
        return self._write(f"/v1/proposals/{proposal_id}/approve", **options)

    @endpoint
    def revoke_approval(
        self,
        proposal_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Withdraw one's approval of a pending proposal (admins)."""
        return self._write(f"/v1/proposals/{proposal_id}/revoke", **options)

    @endpoint
    def cancel_proposal(
        self,
        proposal_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[Written]:
        """Cancel a pending proposal (admins)."""
        return self._write(f"/v1/proposals/{proposal_id}/cancel", **options)

    # -- the audit trail -------------------------------------------------------------------

    @endpoint
    def audit_records(
        self,
        *,
        user: str | None = None,
        action: str | None = None,
        participant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Call[AuditPage]:
        """Audit records, oldest first (an institution's admins: its own; auditors: all)."""
        params = query(
            user=user,
            action=action,
            participant=participant,
            cursor=cursor,
            limit=limit,
            **{"from": _iso(since), "to": _iso(until)},
        )
        return Call("GET", "/v1/audit", model(AuditPage), params)

    @endpoint
    def export_audit(
        self,
        format: Literal["csv", "json"] = "csv",
        *,
        user: str | None = None,
        action: str | None = None,
        participant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Call[bytes]:
        """Every matching audit record as CSV or JSON Lines (hashes included)."""
        params = query(
            format=format,
            user=user,
            action=action,
            participant=participant,
            **{"from": _iso(since), "to": _iso(until)},
        )
        return Call("GET", "/v1/audit/export", raw_bytes, params, raw=True)
