"""`/v1/participants`: gateway identities and their API keys (shown once, stored hashed).

An admin creates a participant and gets its first key once; everything after that
(status, keys) is the participant's own: anyone else gets 403 `foreign-participant`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.governance import Governor
from scfledger.api.schemas import ApiKeyOut, ParticipantIn, ParticipantOut, ParticipantStatusOut
from scfledger.services import participants as services
from scfledger.services.ledger import role_names

router = APIRouter(prefix="/v1/participants", tags=["governance"], route_class=GuardedRoute)


@router.post("", status_code=201)
def create_participant(body: ParticipantIn, gateway: GatewayDep, actor: Governor) -> ParticipantOut:
    """A gateway identity for a prospective member (a named admin of an admin member): a
    signing key kept by the gateway, or with `address` an API key only. Its first API key
    is shown this once, to hand to the participant out of band; only the participant
    manages its keys after."""
    issued = services.create_participant(
        sessions=gateway.sessions,
        keys=gateway.keys,
        provision=gateway.provision,
        actor=actor,
        name=body.name,
        address=body.address,
    )
    return ParticipantOut(name=issued.name, address=issued.address, api_key=issued.api_key)


@router.get("/{name}")
def participant_status(name: str, actor: CurrentActor) -> ParticipantStatusOut:
    """The caller's own address and on-chain status (`not-admitted` until the consortium
    admits it): all a participant awaiting admission may read."""
    own = services.own_status(actor=actor, name=name)
    return ParticipantStatusOut(
        name=own.participant, address=own.address, status=own.status, roles=role_names(own.roles)
    )


@router.get("/{name}/api-keys")
def api_keys(name: str, gateway: GatewayDep, actor: CurrentActor) -> list[ApiKeyOut]:
    """The caller's own keys by prefix (the participant itself only)."""
    return [
        ApiKeyOut(prefix=k.prefix, created_at=k.created_at, revoked_at=k.revoked_at)
        for k in services.api_keys(sessions=gateway.sessions, actor=actor, name=name)
    ]


@router.post("/{name}/api-keys", status_code=201)
def issue_api_key(name: str, gateway: GatewayDep, actor: CurrentActor) -> ParticipantOut:
    """Another key of the caller's own, to rotate without downtime (shown this once;
    active members, at most 10 live keys)."""
    issued = services.issue_api_key(sessions=gateway.sessions, actor=actor, name=name)
    return ParticipantOut(name=issued.name, address=issued.address, api_key=issued.api_key)


@router.delete("/{name}/api-keys/{prefix}", status_code=204)
def revoke_api_key(name: str, prefix: str, gateway: GatewayDep, actor: CurrentActor) -> Response:
    """Revoke one of the caller's own keys: requests carrying it are refused from now on."""
    services.revoke_api_key(sessions=gateway.sessions, actor=actor, name=name, prefix=prefix)
    return Response(status_code=204)
