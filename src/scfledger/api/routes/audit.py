"""`/v1/audit`: the audit trail, read and exported by an institution's admins (their own
people's records) and by auditor members (everyone's)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import AsciiDigits, parse_cursor
from scfledger.api.schemas import AuditPage, AuditRecordOut
from scfledger.exceptions import InvalidInput, RoleRequired
from scfledger.people import audit
from scfledger.services.ledger import Actor

if TYPE_CHECKING:  # a row type of the response builder only
    from scfledger.db.audit import AuditRecord

router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=GuardedRoute)

User = Annotated[str | None, Query(max_length=128, description="Records of this username")]
Action = Annotated[
    str | None, Query(max_length=200, description="Method and route: `POST /v1/receivables`")
]
Participant = Annotated[str | None, Query(max_length=64, description="Of this institution")]
Since = Annotated[
    datetime | None, Query(alias="from", description="From this time (ISO 8601, inclusive)")
]
Until = Annotated[datetime | None, Query(alias="to", description="Up to this time (inclusive)")]
EXPORT_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson"}


def readable(
    actor: Actor,
    *,
    user: str | None,
    action: str | None,
    participant: str | None,
    since: datetime | None,
    until: datetime | None,
) -> audit.AuditFilter:
    """The records the caller asks for among those it may read: an auditor member's people
    read everyone's, an admin its own institution's; anyone else 403 `role-required`."""
    # Naive times are UTC (comparing a naive one with an aware one would raise).
    since = None if since is None else audit.utc(since)
    until = None if until is None else audit.utc(until)
    if since is not None and until is not None and since > until:
        raise InvalidInput(f"from {since.isoformat()} is after to {until.isoformat()}")
    person = actor.person
    if not actor.is_auditor:
        if person is None or not person.has("admin"):
            name = person.username if person is not None else actor.participant
            raise RoleRequired(username=name, action="read the audit trail", roles=("admin",))
        if participant is not None and participant != actor.participant:
            raise RoleRequired(
                username=person.username,
                action=f"read the audit trail of {participant!r}",
                roles=("auditor",),
            )
        participant = actor.participant
    return audit.AuditFilter(
        participant=participant, username=user, action=action, since=since, until=until
    )


def record_out(record: AuditRecord) -> AuditRecordOut:
    fields = audit.fields_of(record)
    fields["roles"] = [role for role in record.roles.split(",") if role]
    fields["status_code"] = fields.pop("status")
    fields["at"] = audit.utc(record.at)  # SQLite gives it back without its zone
    return AuditRecordOut.model_validate(fields)


@router.get("")
def list_audit(
    gateway: GatewayDep,
    actor: CurrentActor,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 100,
    user: User = None,
    action: Action = None,
    participant: Participant = None,
    since: Since = None,
    until: Until = None,
) -> AuditPage:
    """Audit records, oldest first, by id: an institution's admins read their own
    institution's, auditor members everyone's (`participant` narrows it); anyone else
    403 `role-required`."""
    filters = readable(
        actor, user=user, action=action, participant=participant, since=since, until=until
    )
    with gateway.sessions() as session:
        rows = audit.list_records(session, filters, after=parse_cursor(cursor), limit=limit)
        items = [record_out(row) for row in rows]
    next_cursor = str(items[-1].id) if len(items) == limit else None
    return AuditPage(items=items, next_cursor=next_cursor)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media in EXPORT_MEDIA.values()}}},
)
def export_audit(
    gateway: GatewayDep,
    actor: CurrentActor,
    format: Annotated[Literal["csv", "json"], Query(description="CSV or JSON Lines")] = "csv",
    user: User = None,
    action: Action = None,
    participant: Participant = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    """Every record `GET /v1/audit` would list, as one CSV (a header line) or JSON Lines
    document, hashes included (an export of the whole trail verifies: docs/people.md)."""
    filters = readable(
        actor, user=user, action=action, participant=participant, since=since, until=until
    )

    def lines() -> Iterator[str]:
        with gateway.sessions() as session:
            yield from audit.export(session, format, filters)

    extension = "csv" if format == "csv" else "jsonl"
    return StreamingResponse(
        lines(),
        media_type=EXPORT_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="audit.{extension}"'},
    )
