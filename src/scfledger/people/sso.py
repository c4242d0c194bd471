"""Single sign-on per participant: OpenID Connect with the participant's identity provider
(authorization code flow, PKCE S256, state and nonce), through authlib and joserfc.

A login is begun at the gateway (`begin_login`): a pending login is stored (the state's
SHA-256, the nonce, the PKCE verifier, the redirect URI and the SHA-256 of a cookie that
binds it to the browser) and the browser is sent to the provider. The provider sends the
browser back to the callback (`finish_login`): the pending login is consumed once (a
replay, a forged state, a state begun in another browser, for another participant or more
than LOGIN_TTL ago is refused: `SsoStateInvalid`), the code is exchanged with the client
secret and the verifier, the ID token is checked (signature by the provider's published
keys, issuer, audience, expiry, nonce, at_hash: `SsoFailed`), and the configured claim names
the user. Nobody is created by signing in: an unknown or disabled user is `SsoUnknownUser`.
Then a session is opened exactly as a password login opens one.

The provider's login counts as the person's whole authentication, second factor included:
the participant chose its provider and its policy. A participant that wants the gateway to
insist on the provider's second factor sets `required_acr`: the login asks for that
authentication context class and refuses an ID token without exactly that `acr`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from scfledger.db.models import aware, utcnow
from scfledger.db.session import transaction
from scfledger.db.sso import ParticipantSso, SsoLogin
from scfledger.exceptions import (
    InvalidInput,
    RecordNotFound,
    SsoFailed,
    SsoStateInvalid,
    SsoUnknownUser,
)
from scfledger.keys.sealing import Sealer
from scfledger.people.sessions import Timeouts, open_session
from scfledger.people.users import find_user

log = logging.getLogger(__name__)

LOGIN_TTL = timedelta(minutes=10)  # from the redirect to the provider to its callback
SCOPE = "openid profile email"
HTTP_TIMEOUT = 10.0  # seconds, each request to the provider
LEEWAY = 60  # seconds of clock difference allowed on the ID token's exp and iat
DEFAULT_USERNAME_CLAIM = "preferred_username"
_LOOPBACK_NAMES = frozenset({"localhost"})
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")  # RFC 6749 error codes, shown back; nothing else


@dataclass(frozen=True)
class SsoSettings:
    """A participant's identity provider as shown to its admins (never the secret)."""

    participant: str
    issuer: str
    client_id: str
    username_claim: str
    required_acr: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the value of the cookie that binds the login to it."""

    url: str
    browser_token: str


@dataclass(frozen=True)
class SignedIn:
    """The session a callback opened: its token (the session cookie) and CSRF token."""

    user_id: str
    username: str
    session_id: str
    token: str
    csrf_token: str
    lifetime: int  # seconds until the session's absolute end


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _record(participant: str) -> str:
    """The sealing record of a participant's client secret: sealed for one, opens for no
    other."""
    return f"sso/{participant}"


def _public(row: ParticipantSso) -> SsoSettings:
    return SsoSettings(
        participant=row.participant,
        issuer=row.issuer,
        client_id=row.client_id,
        username_claim=row.username_claim,
        required_acr=row.required_acr,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def check_issuer(issuer: str, *, allow_http_loopback: bool) -> None:
    """An issuer is an https URL without query or fragment; plain http only to this machine
    (loopback), and only where the gateway allows it (not in production). InvalidInput
    otherwise."""
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or not parts.hostname or parts.username is not None:
        raise InvalidInput("issuer must be a URL without credentials, query or fragment")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_http_loopback and _loopback(parts.hostname):
        return
    raise InvalidInput(
        "issuer must be an https URL (plain http only to a loopback provider, outside production)"
    )


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configure(
    *,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    participant: str,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    username_claim: str = DEFAULT_USERNAME_CLAIM,
    required_acr: str | None = None,
    allow_http_loopback: bool = False,
) -> SsoSettings:
    """Sets the participant's identity provider. The client secret is sealed; it may be
    left out (None) to keep the one already stored, never on the first configuration."""
    check_issuer(issuer, allow_http_loopback=allow_http_loopback)
    with transaction(sessions) as session:
        row = session.get(ParticipantSso, participant)
        if row is None:
            if client_secret is None:
                raise InvalidInput("client_secret is required to configure single sign-on")
            row = ParticipantSso(participant=participant, created_at=utcnow())
            session.add(row)
        row.issuer = issuer
        row.client_id = client_id
        if client_secret is not None:
            row.client_secret = sealer.seal(client_secret, _record(participant))
        row.username_claim = username_claim
        row.required_acr = required_acr
        row.updated_at = utcnow()
        session.flush()
        return _public(row)


def settings_of(*, sessions: sessionmaker[Session], participant: str) -> SsoSettings:
    """The participant's identity provider; RecordNotFound if it has none."""
    with sessions() as session:
        return _public(_configured(session, participant))


def _configured(session: Session, participant: str) -> ParticipantSso:
    row = session.get(ParticipantSso, participant)
    if row is None:
        raise RecordNotFound(kind="single sign-on configuration of", key=participant)
    return row


def _client(**kwargs: Any) -> OAuth2Session:
    """An OAuth 2 client of the provider (authlib over requests) that follows no redirect:
    every URL it is sent to comes from the provider's discovery document, as it is."""
    client = OAuth2Session(default_timeout=HTTP_TIMEOUT, **kwargs)
    client.max_redirects = 0
    return client


def _get_json(client: OAuth2Session, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = client.get(url, withhold_token=True, **kwargs)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError):
        raise SsoFailed(f"the identity provider's {what} could not be read") from None
    if not isinstance(body, dict):
        raise SsoFailed(f"the identity provider's {what} is no JSON object")
    return body


def _discover(client: OAuth2Session, issuer: str) -> dict[str, Any]:
    """The provider's metadata (OpenID Connect Discovery), checked to name this issuer."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = _get_json(client, url, "discovery document")
    if metadata.get("issuer") != issuer:
        raise SsoFailed("the identity provider's discovery document names another issuer")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(endpoint), str):
            raise SsoFailed(f"the identity provider's discovery document lacks {endpoint}")
    return metadata


def begin_login(
    *, sessions: sessionmaker[Session], participant: str, redirect_uri: str
) -> LoginStart:
    """Stores a pending login and returns the provider's authorization URL for it;
    RecordNotFound if the participant has no identity provider."""
    with sessions() as session:
        config = _public(_configured(session, participant))
    state, nonce, verifier, browser = (secrets.token_urlsafe(32) for _ in range(4))
    extra = {"acr_values": config.required_acr} if config.required_acr else {}
    with _client(
        client_id=config.client_id,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    ) as oauth:
        metadata = _discover(oauth, config.issuer)
        url, _ = oauth.create_authorization_url(
            metadata["authorization_endpoint"],
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            **extra,
        )
    with transaction(sessions) as session:
        # Logins never finished are of no use once expired: each new one clears them.
        session.execute(delete(SsoLogin).where(SsoLogin.created_at < utcnow() - LOGIN_TTL))
        session.add(
            SsoLogin(
                state_hash=_digest(state),
                participant=participant,
                browser_hash=_digest(browser),
                nonce=nonce,
                code_verifier=verifier,
                redirect_uri=redirect_uri,
                created_at=utcnow(),
            )
        )
    return LoginStart(url=str(url), browser_token=browser)


@dataclass(frozen=True)
class _Pending:
    nonce: str
    code_verifier: str
    redirect_uri: str


def _consume(
    sessions: sessionmaker[Session], participant: str, state: str | None, browser: str | None
) -> _Pending:
    """The pending login `state` names, marked used; SsoStateInvalid unless it is this
    participant's, this browser's, unused and recent."""
    if not state:
        raise SsoStateInvalid("the callback carries no state")
    with transaction(sessions) as session:
        row = session.get(SsoLogin, _digest(state))
        if row is None:
            raise SsoStateInvalid("the state names no login begun here")
        if row.used_at is not None:
            raise SsoStateInvalid("this login was already used")
        if row.participant != participant:
            raise SsoStateInvalid("this login was begun for another participant")
        if aware(row.created_at) < utcnow() - LOGIN_TTL:
            raise SsoStateInvalid("this login expired")
        if not browser or not secrets.compare_digest(_digest(browser), row.browser_hash):
            raise SsoStateInvalid("this login was begun in another browser")
        taken = session.execute(
            update(SsoLogin)
            .where(SsoLogin.state_hash == row.state_hash, SsoLogin.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise SsoStateInvalid("this login was already used")
        return _Pending(
            nonce=row.nonce, code_verifier=row.code_verifier, redirect_uri=row.redirect_uri
        )


def _exchange(
    oauth: OAuth2Session, metadata: dict[str, Any], code: str, pending: _Pending
) -> dict[str, Any]:
    """The provider's token response to the authorization code."""
    try:
        token = oauth.fetch_token(
            metadata["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            redirect_uri=pending.redirect_uri,
            code_verifier=pending.code_verifier,
        )
    except (OAuthError, requests.RequestException, ValueError):
        raise SsoFailed("the identity provider refused the authorization code") from None
    if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
        raise SsoFailed("the identity provider returned no ID token")
    return dict(token)


def signing_algorithms(metadata: dict[str, Any]) -> list[str]:
    """The provider's ID token algorithms that its published keys can verify: no `none`,
    no HMAC (keyed with the client secret, which only proves the token came to us)."""
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    return [a for a in offered if isinstance(a, str) and a != "none" and not a.startswith("HS")]


def id_token_claims(
    *,
    id_token: str,
    access_token: str | None,
    jwks: dict[str, Any],
    algorithms: list[str],
    issuer: str,
    client_id: str,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """The ID token's claims once its signature (by one of `jwks`), issuer, audience,
    expiry, issue time, nonce and at_hash hold; SsoFailed otherwise."""
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        decoded = jwt.decode(id_token, keys, algorithms=algorithms)
        params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
        if access_token is not None:
            params["access_token"] = access_token
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True}},
            params,
        )
        claims.validate(now=now, leeway=LEEWAY)
    except (JoseError, ValueError, TypeError) as exc:
        raise SsoFailed(f"the ID token does not hold ({type(exc).__name__})") from None
    audience = decoded.claims.get("aud")
    if client_id not in (audience if isinstance(audience, list) else [audience]):
        raise SsoFailed("the ID token is not meant for this gateway")
    return dict(decoded.claims)


def _username(
    client: OAuth2Session,
    metadata: dict[str, Any],
    claims: dict[str, Any],
    claim: str,
    access_token: str | None,
) -> str:
    """The username the provider vouches for: the claim from the ID token, else from its
    userinfo endpoint (the same subject's; providers that follow the specification's
    default put profile claims only there)."""
    value = claims.get(claim)
    if value is None and access_token and isinstance(metadata.get("userinfo_endpoint"), str):
        headers = {"Authorization": f"Bearer {access_token}"}
        info = _get_json(client, metadata["userinfo_endpoint"], "userinfo", headers=headers)
        if info.get("sub") != claims.get("sub"):
            raise SsoFailed("the identity provider's userinfo is about another subject")
        value = info.get(claim)
    if not isinstance(value, str) or not value:
        raise SsoFailed(f"the identity provider did not give the claim {claim!r}")
    return value


def finish_login(
    *,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    participant: str,
    state: str | None,
    code: str | None,
    error: str | None,
    browser_token: str | None,
    address: str,
    user_agent: str,
    timeouts: Timeouts,
) -> SignedIn:
    """Finishes a login at the provider's callback and opens the user's session."""
    pending = _consume(sessions, participant, state, browser_token)
    if error is not None:
        shown = error if _ERROR_CODE.fullmatch(error) else "an error"
        raise SsoFailed(f"the identity provider answered {shown}")
    if not code:
        raise SsoFailed("the callback carries no authorization code")
    with sessions() as session:
        config = _configured(session, participant)
        session.expunge(config)
    secret = sealer.open(config.client_secret, _record(participant))
    with _client(
        client_id=config.client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
    ) as client:
        metadata = _discover(client, config.issuer)
        token = _exchange(client, metadata, code, pending)
        access_token = token.get("access_token")
        access_token = access_token if isinstance(access_token, str) else None
        claims = id_token_claims(
            id_token=token["id_token"],
            access_token=access_token,
            jwks=_get_json(client, metadata["jwks_uri"], "key set"),
            algorithms=signing_algorithms(metadata),
            issuer=config.issuer,
            client_id=config.client_id,
            nonce=pending.nonce,
        )
        if config.required_acr is not None and claims.get("acr") != config.required_acr:
            raise SsoFailed(
                f"the identity provider did not authenticate at {config.required_acr!r}"
            )
        username = _username(client, metadata, claims, config.username_claim, access_token)
    with transaction(sessions) as session:
        user = find_user(session, participant, username)
        if user is None or user.kind != "user" or user.disabled_at is not None:
            log.info("single sign-on of %s: no active user for its claim", participant)
            raise SsoUnknownUser(participant=participant, claim=config.username_claim)
        opened = open_session(
            session, user, address=address, user_agent=user_agent, timeouts=timeouts
        )
        return SignedIn(
            user_id=user.id,
            username=user.username,
            session_id=opened.row.id,
            token=opened.token,
            csrf_token=opened.csrf_token,
            lifetime=int((opened.row.expires_at - opened.row.created_at).total_seconds()),
        )
