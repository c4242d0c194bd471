"""Request and response bodies of sign-in, sessions, users and API keys (docs/people.md).

Secrets (a temporary password, a second factor's secret, a session's CSRF token, an API
key) appear only in the answer of the request that creates them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from scfledger.api.fields import ParticipantName, UtcDatetime
from scfledger.api.schemas import Strict

PersonRole = Literal["admin", "maker", "checker", "viewer"]
Scope = Literal["read", "write", "approve"]
Username = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Password = Annotated[str, Field(min_length=1, max_length=256)]
Code = Annotated[str, Field(min_length=1, max_length=16)]
DisplayName = Annotated[str, Field(max_length=128)]
Roles = Annotated[list[PersonRole], Field(min_length=1, max_length=4)]
_DEFAULT_SCOPES: list[Scope] = ["read", "write"]


class LoginIn(Strict):
    """A person's credentials: its participant, username, password, and (admins and
    checkers) the current code of its authenticator app."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "participant": "bank",
                    "username": "alice",
                    "password": "correct horse battery",
                    "code": "123456",
                }
            ]
        }
    )

    participant: ParticipantName
    username: Username
    password: Password
    code: Code | None = None


class PersonOut(BaseModel):
    """Who is signed in (or owns the API key), and what its credential allows."""

    user_id: str
    participant: str
    username: str
    display_name: str
    kind: Literal["user", "service"]
    roles: list[PersonRole]
    scopes: list[Scope]
    credential: Literal["session", "key"]
    must_change_password: bool


class LoginOut(BaseModel):
    person: PersonOut
    csrf_token: str = Field(
        description="Send it back as X-CSRF-Token on every write with this session (shown once)"
    )
    session_id: str
    idle_expires_at: datetime = Field(description="When the session ends without a request")
    expires_at: datetime = Field(description="When the session ends in any case")


class PasswordChangeIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "the temporary one",
                    "new_password": "correct horse battery staple",
                }
            ]
        }
    )

    current_password: Password
    new_password: Password


class SessionOut(BaseModel):
    id: str
    created_at: UtcDatetime
    last_seen_at: UtcDatetime
    expires_at: UtcDatetime
    address: str = Field(description="The client address it signed in from")
    user_agent: str
    current: bool = Field(description="The session of this request")


class UserIn(Strict):
    """A new user (a person: a temporary password to change at first sign-in) or service
    account (API keys only) of the caller's participant."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"username": "bob", "display_name": "Bob Li", "roles": ["maker"]}]
        }
    )

    username: Username
    display_name: DisplayName = ""
    roles: Roles
    kind: Literal["user", "service"] = "user"


class UserPatchIn(Strict):
    """What changes (each optional): roles, display name, disabled or enabled again."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"roles": ["maker", "checker"]}, {"disabled": True}]}
    )

    roles: Roles | None = None
    display_name: DisplayName | None = None
    disabled: bool | None = None


class UserOut(BaseModel):
    id: str
    participant: str
    username: str
    display_name: str
    kind: Literal["user", "service"]
    roles: list[PersonRole]
    created_at: UtcDatetime
    disabled: bool
    locked_until: UtcDatetime | None
    must_change_password: bool
    second_factor: bool = Field(description="Has a second factor (enrolled)")


class UserSecretsOut(BaseModel):
    """A user and the secrets just made for it, each shown this once: a temporary password,
    a second factor's secret and its otpauth:// URI (for an authenticator app's QR code)."""

    user: UserOut
    temporary_password: str | None = None
    totp_secret: str | None = None
    otpauth_uri: str | None = None


class ApiKeyIn(Strict):
    """A new API key: its owner (a username of the caller's participant; by default the
    caller), scopes and perhaps an expiry (in the future, at most a year ahead)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "erp", "scopes": ["read"], "owner": "service"}]}
    )

    name: Annotated[str, Field(max_length=64)] = ""
    scopes: list[Scope] = Field(
        default_factory=lambda: _DEFAULT_SCOPES[:], min_length=1, max_length=3
    )
    expires_at: Annotated[datetime | None, Field(strict=False)] = None  # RFC 3339 text
    owner: Username | None = None


class ApiKeyOut(BaseModel):
    prefix: str = Field(description="The key's first characters, to tell keys apart")
    name: str
    owner: str = Field(description="The username of the user or service account owning it")
    scopes: list[Scope]
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class IssuedApiKeyOut(BaseModel):
    name: str = Field(description="The participant")
    address: str
    api_key: str = Field(description="Shown once; the gateway stores only its hash.")
    key: ApiKeyOut


class RevealedOut(BaseModel):
    """What an approved administration draft made for its maker, shown this once (then
    erased): a temporary password, a second factor's secret and URI, or an API key."""

    draft_id: int
    kind: str
    temporary_password: str | None = None
    totp_secret: str | None = None
    otpauth_uri: str | None = None
    api_key: str | None = None
