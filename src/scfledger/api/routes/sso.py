"""Single sign-on: `/v1/auth/sso/{participant}/login` and `/callback` (OpenID Connect with
the participant's identity provider) and `/v1/participants/{name}/sso`, its configuration
(the participant's own admins only).

The callback is a top-level navigation from the identity provider's site: a SameSite=Strict
cookie is not sent with it. The login is therefore bound to the browser by its own short
cookie, `scf_sso` (SameSite=Lax, which a top-level GET from another site carries; HttpOnly;
scoped to the participant's SSO paths; ten minutes), and everything else the callback needs
is in the pending login stored at the gateway. The session cookie the callback sets is the
one a password login sets (`scf_session`, HttpOnly, SameSite=Strict, Secure over https);
the session's CSRF token goes in `scf_csrf`, readable by the console's script, which sends
it back in `X-CSRF-Token`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse

from scfledger.api.deps import Administrator, CurrentActor, GatewayDep, require
from scfledger.api.fields import PARTICIPANT_NAME
from scfledger.api.guard import GuardedRoute
from scfledger.api.schemas import SsoIn, SsoOut
from scfledger.exceptions import ForeignParticipant
from scfledger.people import sso
from scfledger.people.sessions import COOKIE, Timeouts
from scfledger.services.ledger import Actor

router = APIRouter(tags=["people"], route_class=GuardedRoute)

BROWSER_COOKIE = "scf_sso"  # binds a pending login to the browser that began it
CSRF_COOKIE = "scf_csrf"  # the session's CSRF token, for the console's script to send back
ParticipantPath = Annotated[str, Path(pattern=PARTICIPANT_NAME)]
_REDIRECT = {"description": "To the identity provider's sign-in page"}
_SIGNED_IN = {"description": "Signed in: the session cookie is set; on to the console"}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _sso_path(participant: str) -> str:
    return f"/v1/auth/sso/{participant}/"


@router.get("/v1/auth/sso/{participant}/login", status_code=302, responses={302: _REDIRECT})
def sso_login(
    participant: ParticipantPath, request: Request, gateway: GatewayDep
) -> RedirectResponse:
    """Sends the browser to the participant's identity provider to sign in (404 if the
    participant has no single sign-on)."""
    start = sso.begin_login(
        sessions=gateway.sessions,
        participant=participant,
        redirect_uri=str(request.url_for("sso_callback", participant=participant)),
    )
    response = RedirectResponse(start.url, status_code=302)
    response.set_cookie(
        BROWSER_COOKIE,
        start.browser_token,
        max_age=int(sso.LOGIN_TTL.total_seconds()),
        path=_sso_path(participant),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/v1/auth/sso/{participant}/callback",
    name="sso_callback",
    status_code=303,
    responses={303: _SIGNED_IN},
)
def sso_callback(
    participant: ParticipantPath,
    request: Request,
    gateway: GatewayDep,
    state: Annotated[str | None, Query(max_length=512)] = None,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> RedirectResponse:
    """Where the identity provider sends the browser back: the login is checked, the
    user's session opened and its cookie set. A replayed, forged or foreign state is 400
    `sso-state-invalid`; a refusal by the provider or an ID token that does not hold, 401
    `sso-failed`; a person who is no active user of the participant, 403
    `sso-unknown-user`."""
    request.state.audit_subject = {"participant": participant}
    settings = gateway.settings
    signed = sso.finish_login(
        sessions=gateway.sessions,
        sealer=gateway.sealer,
        participant=participant,
        state=state,
        code=code,
        error=error,
        browser_token=request.cookies.get(BROWSER_COOKIE),
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
        timeouts=Timeouts(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        ),
    )
    request.state.audit_subject = {"participant": participant, "username": signed.username}
    response = RedirectResponse("/", status_code=303)
    secure = _secure(request)
    for name, value, httponly in (
        (COOKIE, signed.token, True),
        (CSRF_COOKIE, signed.csrf_token, False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=signed.lifetime,
            path="/",
            httponly=httponly,
            samesite="strict",
            secure=secure,
        )
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(BROWSER_COOKIE, path=_sso_path(participant))
    return response


def _own(actor: Actor, name: str, action: str) -> None:
    if actor.participant != name:
        raise ForeignParticipant(actor=actor.participant, participant=name, action=action)


def _out(request: Request, settings: sso.SsoSettings) -> SsoOut:
    login = request.url_for("sso_login", participant=settings.participant)
    return SsoOut(
        participant=settings.participant,
        issuer=settings.issuer,
        client_id=settings.client_id,
        username_claim=settings.username_claim,
        required_acr=settings.required_acr,
        login_url=str(login),
        created_at=settings.created_at,
        updated_at=settings.updated_at,
    )


@router.put("/v1/participants/{name}/sso")
def configure_sso(
    name: str, body: SsoIn, request: Request, gateway: GatewayDep, actor: Administrator
) -> SsoOut:
    """Sets the participant's OpenID Connect provider (its own admins only). Register
    `.../v1/auth/sso/{name}/callback` at the provider as the redirect URI; its people then
    sign in at `login_url` with the username the provider gives in `username_claim`. Users
    are not created by signing in: an admin creates them first."""
    _own(actor, name, "configure the single sign-on")
    settings = sso.configure(
        sessions=gateway.sessions,
        sealer=gateway.sealer,
        participant=name,
        issuer=body.issuer,
        client_id=body.client_id,
        client_secret=body.client_secret,
        username_claim=body.username_claim,
        required_acr=body.required_acr,
        allow_http_loopback=gateway.settings.environment != "production",
    )
    return _out(request, settings)


@router.get("/v1/participants/{name}/sso")
def sso_settings(name: str, request: Request, gateway: GatewayDep, actor: CurrentActor) -> SsoOut:
    """The participant's OpenID Connect provider (its own admins only; never the client
    secret); 404 if it has none."""
    require(actor, scope="read", roles=("admin",), action="read the single sign-on settings")
    _own(actor, name, "read the single sign-on settings")
    return _out(request, sso.settings_of(sessions=gateway.sessions, participant=name))
