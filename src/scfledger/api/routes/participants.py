"""`/v1/participants`: gateway identities and their API keys (shown once, stored hashed).

An admin creates a participant and gets its first key once; everything after that
(status, keys) is the participant's own: anyone else gets 403 `foreign-participant`."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.draft_schemas import DraftOut
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import drafted
from scfledger.api.routes.governance import Governor
from scfledger.api.schemas import ParticipantIn, ParticipantOut, ParticipantStatusOut
from scfledger.api.schemas_people import ApiKeyIn, ApiKeyOut, IssuedApiKeyOut
from scfledger.services import drafts
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


def key_out(view: services.KeyView) -> ApiKeyOut:
    row = view.row
    return ApiKeyOut.model_validate(
        {
            "prefix": row.prefix,
            "name": row.name,
            "owner": view.owner,
            "scopes": sorted(row.scopes),
            "created_at": row.created_at,
            "expires_at": row.expires_at,
            "last_used_at": row.last_used_at,
            "revoked_at": row.revoked_at,
        }
    )


@router.get("/{name}/api-keys")
def api_keys(name: str, gateway: GatewayDep, actor: CurrentActor) -> list[ApiKeyOut]:
    """The caller's own participant's keys by prefix, with owner, scopes and dates (the
    participant itself only): every key to an admin, its own to anyone else."""
    return [
        key_out(view)
        for view in services.api_keys(sessions=gateway.sessions, actor=actor, name=name)
    ]


# Key administration the participant's policy checks (`key.admin`) waits for a checker.
_HELD = "Waits for a checker (maker-checker): the draft"


@router.post(
    "/{name}/api-keys",
    status_code=201,
    response_model=IssuedApiKeyOut,
    responses={
        202: {
            "model": DraftOut,
            "description": f"{_HELD}; once approved, its maker reads the key once with "
            "`POST /v1/drafts/{id}/reveal`",
        }
    },
)
def issue_api_key(
    name: str, gateway: GatewayDep, actor: CurrentActor, body: ApiKeyIn | None = None
) -> IssuedApiKeyOut | JSONResponse:
    """Another key of the caller's own participant (admins of active members, at most 10
    live keys), shown this once: for `owner` (a username of the participant: a person or a
    service account; by default the caller), with `scopes` (default read and write) and
    perhaps `expires_at` (in the future, at most a year ahead; default none). 202 with a
    draft when a checker must approve it."""
    body = body or ApiKeyIn()
    made = services.issue_api_key(
        sessions=gateway.sessions,
        actor=actor,
        name=name,
        owner=body.owner,
        scopes=list(body.scopes),
        expires_at=body.expires_at,
        key_name=body.name,
        now=gateway.wall_clock(),
    )
    if isinstance(made, drafts.DraftView):
        return drafted(made, gateway.money)
    issued, view = made
    return IssuedApiKeyOut(
        name=issued.name, address=issued.address, api_key=issued.api_key, key=key_out(view)
    )


@router.delete(
    "/{name}/api-keys/{prefix}",
    status_code=204,
    response_class=Response,
    responses={202: {"model": DraftOut, "description": _HELD}},
)
def revoke_api_key(name: str, prefix: str, gateway: GatewayDep, actor: CurrentActor) -> Response:
    """Revoke a key of the caller's own participant (an admin: any; anyone else: its own):
    requests carrying it are refused from now on. An admin revoking another's key gets 202
    with a draft when a checker must approve it; one's own key is revoked at once."""
    held = services.revoke_api_key(
        sessions=gateway.sessions, actor=actor, name=name, prefix=prefix, now=gateway.wall_clock()
    )
    return Response(status_code=204) if held is None else drafted(held, gateway.money)
