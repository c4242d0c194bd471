"""`/v1/auth` and `/v1/sessions`: a person signs in (password, and a one-time code for
admins and checkers), gets a session cookie and a CSRF token, reads who it is, changes its
password, lists and ends its sessions, signs out.

The cookie `scf_session` is HttpOnly, SameSite=Strict, Path=/, and Secure when the request
came over https. The scheme is the one the ASGI server reports: behind a TLS-terminating
proxy, run uvicorn with `--proxy-headers --forwarded-allow-ips <the proxy>` so that it
takes X-Forwarded-Proto from that proxy only; the gateway itself trusts no such header."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.schemas_people import (
    LoginIn,
    LoginOut,
    PasswordChangeIn,
    PersonOut,
    SessionOut,
)
from scfledger.people.person import Person, session_scopes
from scfledger.people.sessions import COOKIE
from scfledger.people.users import roles_of
from scfledger.services import people as services
from scfledger.services.ledger import Actor

if TYPE_CHECKING:  # row types of the response builders only
    from scfledger.db.people import User

router = APIRouter(prefix="/v1/auth", tags=["people"], route_class=GuardedRoute)
sessions_router = APIRouter(prefix="/v1/sessions", tags=["people"], route_class=GuardedRoute)


def person_out(user: User, person: Person | None) -> PersonOut:
    """The person as its credential sees it (a session: every scope its roles allow)."""
    roles = roles_of(user)
    scopes = person.scopes if person is not None else session_scopes(roles)
    return PersonOut.model_validate(
        {
            "user_id": user.id,
            "participant": user.participant,
            "username": user.username,
            "display_name": user.display_name,
            "kind": user.kind,
            "roles": sorted(roles),
            "scopes": sorted(scopes),
            "credential": person.credential if person is not None else "session",
            "must_change_password": user.must_change_password,
        }
    )


def _seconds_until(when: datetime, now: datetime) -> int:
    return max(int((when - now).total_seconds()), 0)


@router.post("/login")
def login(body: LoginIn, request: Request, response: Response, gateway: GatewayDep) -> LoginOut:
    """Sign in: sets the session cookie and answers the CSRF token (shown this once) to
    send back as X-CSRF-Token on every write. 401 `invalid-credentials` never says whether
    the user, the password or the code was wrong; 401 `second-factor-required` asks for a
    code; 403 `account-locked` after too many failures in a row."""
    request.state.audit_subject = {"participant": body.participant, "username": body.username}
    signed = services.login(
        sessions=gateway.sessions,
        sealer=gateway.sealer,
        settings=gateway.settings,
        participant=body.participant,
        username=body.username,
        password=body.password,
        code=body.code,
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    expires_at = signed.session.expires_at
    response.set_cookie(
        COOKIE,
        signed.token,
        max_age=_seconds_until(expires_at, signed.session.created_at),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return LoginOut(
        person=person_out(signed.user, None),
        csrf_token=signed.csrf_token,
        session_id=signed.session.id,
        idle_expires_at=signed.idle_expires_at,
        expires_at=expires_at,
    )


@router.post("/logout", status_code=204)
def logout(request: Request, gateway: GatewayDep, actor: CurrentActor) -> Response:
    """Sign out: ends this session at once and clears its cookie (with an API key, nothing
    to end: revoke the key instead)."""
    services.logout(sessions=gateway.sessions, actor=actor)
    response = Response(status_code=204)
    response.delete_cookie(
        COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )
    return response


@router.get("/me")
def me(gateway: GatewayDep, actor: CurrentActor) -> PersonOut:
    """Who the credential is: the person (or service account), its roles and what this
    credential allows."""
    return person_out(services.me(sessions=gateway.sessions, actor=actor), actor.person)


@router.post("/password", status_code=204)
def change_password(body: PasswordChangeIn, gateway: GatewayDep, actor: CurrentActor) -> Response:
    """Change one's own password (the current one proves it is you: 401
    `invalid-credentials` otherwise); ends one's other sessions, keeps this one."""
    services.change_password(
        sessions=gateway.sessions,
        actor=actor,
        current=body.current_password,
        new=body.new_password,
    )
    return Response(status_code=204)


def _current(actor: Actor, session_id: str) -> bool:
    person = actor.person
    return (
        person is not None
        and person.credential == "session"
        and person.credential_id == (session_id)
    )


@sessions_router.get("")
def own_sessions(gateway: GatewayDep, actor: CurrentActor) -> list[SessionOut]:
    """The caller's open sessions, newest first (`current`: this request's)."""
    rows = services.own_sessions(sessions=gateway.sessions, actor=actor, settings=gateway.settings)
    return [
        SessionOut(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            address=row.address,
            user_agent=row.user_agent,
            current=_current(actor, row.id),
        )
        for row in rows
    ]


@sessions_router.delete("/{session_id}", status_code=204)
def revoke_session(session_id: str, gateway: GatewayDep, actor: CurrentActor) -> Response:
    """End one of the caller's sessions at once: its next request is 401
    `session-expired`."""
    services.revoke_session(sessions=gateway.sessions, actor=actor, session_id=session_id)
    return Response(status_code=204)
