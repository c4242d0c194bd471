"""`/v1/users`: the people and service accounts of the caller's own participant, managed
by its admins (403 `role-required` for anyone else; 403 `foreign-participant` for another
participant's user, consortium admins included). Secrets made here (a temporary password,
a second factor's secret) are shown once, in the answer that makes them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.draft_schemas import DraftOut
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import drafted
from scfledger.api.schemas_people import UserIn, UserOut, UserPatchIn, UserSecretsOut
from scfledger.services import drafts
from scfledger.services import people as services
from scfledger.services.ledger_money import LedgerMoney

if TYPE_CHECKING:  # row types of the response builders only
    from scfledger.db.people import User

router = APIRouter(prefix="/v1/users", tags=["people"], route_class=GuardedRoute)
UserId = Annotated[str, Path(max_length=36)]


def user_out(user: User) -> UserOut:
    return UserOut.model_validate(
        {
            "id": user.id,
            "participant": user.participant,
            "username": user.username,
            "display_name": user.display_name,
            "kind": user.kind,
            "roles": sorted(user.roles),
            "created_at": user.created_at,
            "disabled": user.disabled_at is not None,
            "locked_until": user.locked_until,
            "must_change_password": user.must_change_password,
            "second_factor": user.totp_secret is not None,
        }
    )


# A users administration the participant's policy checks (`user.admin`) waits for a checker.
HELD: dict[int | str, dict[str, Any]] = {
    202: {
        "model": DraftOut,
        "description": "Waits for a checker (maker-checker): the draft; once approved, its "
        "maker reads the secrets it made once with `POST /v1/drafts/{id}/reveal`",
    }
}


def answer(made: services.Administered, money: LedgerMoney) -> UserSecretsOut | JSONResponse:
    """The user and its new secrets, or 202 with the draft that holds the change."""
    return drafted(made, money) if isinstance(made, drafts.DraftView) else secrets_out(made)


def secrets_out(secrets: services.UserSecrets) -> UserSecretsOut:
    enrolment = secrets.enrolment
    return UserSecretsOut(
        user=user_out(secrets.user),
        temporary_password=secrets.temporary_password,
        totp_secret=None if enrolment is None else enrolment.secret,
        otpauth_uri=None if enrolment is None else enrolment.uri,
    )


@router.get("")
def list_users(gateway: GatewayDep, actor: CurrentActor) -> list[UserOut]:
    """The users and service accounts of the caller's participant (admins)."""
    return [user_out(u) for u in services.list_users(sessions=gateway.sessions, actor=actor)]


@router.post("", status_code=201, response_model=UserSecretsOut, responses=HELD)
def create_user(
    body: UserIn, gateway: GatewayDep, actor: CurrentActor
) -> UserSecretsOut | JSONResponse:
    """A new user of the caller's participant (admins). A person (`kind` user) gets a
    temporary password, changed at its first sign-in, and as admin or checker a second
    factor (its secret and otpauth:// URI); all shown this once. A service account gets
    API keys only. 202 with a draft when a checker must approve it."""
    return answer(
        services.create_user(
            sessions=gateway.sessions,
            sealer=gateway.sealer,
            actor=actor,
            username=body.username,
            display_name=body.display_name,
            roles=list(body.roles),
            kind=body.kind,
            now=gateway.wall_clock(),
        ),
        gateway.money,
    )


@router.get("/{user_id}")
def get_user(user_id: UserId, gateway: GatewayDep, actor: CurrentActor) -> UserOut:
    return user_out(services.get_user(sessions=gateway.sessions, actor=actor, user_id=user_id))


@router.patch("/{user_id}", response_model=UserSecretsOut, responses=HELD)
def update_user(
    user_id: UserId, body: UserPatchIn, gateway: GatewayDep, actor: CurrentActor
) -> UserSecretsOut | JSONResponse:
    """Change a user's roles, display name or whether it is disabled (admins). New roles
    or disabling end its sessions at once; a disabled user's API keys stop working. New
    roles that need a second factor it lacks come with one (shown this once). 409
    `last-admin` for the last enabled admin; nobody disables itself. 202 with a draft when a
    checker must approve it."""
    return answer(
        services.update_user(
            sessions=gateway.sessions,
            sealer=gateway.sealer,
            actor=actor,
            user_id=user_id,
            roles=None if body.roles is None else list(body.roles),
            display_name=body.display_name,
            disabled=body.disabled,
            now=gateway.wall_clock(),
        ),
        gateway.money,
    )


@router.post("/{user_id}/password-reset", response_model=UserSecretsOut, responses=HELD)
def reset_password(
    user_id: UserId, gateway: GatewayDep, actor: CurrentActor
) -> UserSecretsOut | JSONResponse:
    """A temporary password (shown this once, changed at the next sign-in): unlocks the
    account and ends its sessions (admins). 202 with a draft when a checker must approve it."""
    return answer(
        services.reset_password(
            sessions=gateway.sessions, actor=actor, user_id=user_id, now=gateway.wall_clock()
        ),
        gateway.money,
    )


@router.post("/{user_id}/second-factor-reset", response_model=UserSecretsOut, responses=HELD)
def reset_second_factor(
    user_id: UserId, gateway: GatewayDep, actor: CurrentActor
) -> UserSecretsOut | JSONResponse:
    """A new second-factor secret and otpauth:// URI (shown this once), replacing a lost
    one; ends the user's sessions (admins). 202 with a draft when a checker must approve it."""
    return answer(
        services.reset_second_factor(
            sessions=gateway.sessions,
            sealer=gateway.sealer,
            actor=actor,
            user_id=user_id,
            now=gateway.wall_clock(),
        ),
        gateway.money,
    )
