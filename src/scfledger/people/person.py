"""Who acts inside an institution: a person (or a service account) and what its credential
allows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Roles inside one institution (not the on-chain roles of the institution itself):
# admin manages its people, keys and policy; maker prepares; checker approves; viewer reads.
PERSON_ROLES = ("admin", "maker", "checker", "viewer")
# What an API key may be used for; a browser session may do all its person's roles allow.
SCOPES = ("read", "write", "approve")
# People of these roles must have a second factor before they can sign in.
SECOND_FACTOR_ROLES = frozenset({"admin", "checker"})

UserKind = Literal["user", "service"]
Credential = Literal["session", "key"]


def user_kind(stored: str) -> UserKind:
    """A user row's kind as a person's: a service account, or else a user."""
    return "service" if stored == "service" else "user"


@dataclass(frozen=True)
class Person:
    """The person (or service account) behind a request, and what its credential allows."""

    user_id: str
    username: str
    participant: str
    kind: UserKind
    roles: frozenset[str]
    credential: Credential
    credential_id: str  # the session's or the API key's id
    scopes: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles

    def may(self, scope: str) -> bool:
        return scope in self.scopes


def checked_roles(roles: object) -> frozenset[str]:
    """`roles` as a set of known person roles; ValueError names an unknown one."""
    if not isinstance(roles, list | tuple | set | frozenset) or not roles:
        raise ValueError(f"roles must be a non-empty list of {', '.join(PERSON_ROLES)}")
    unknown = sorted(str(r) for r in roles if r not in PERSON_ROLES)
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r}: roles are {', '.join(PERSON_ROLES)}")
    return frozenset(str(r) for r in roles)


def checked_scopes(scopes: object) -> frozenset[str]:
    """`scopes` as a set of known key scopes; ValueError names an unknown one."""
    if not isinstance(scopes, list | tuple | set | frozenset) or not scopes:
        raise ValueError(f"scopes must be a non-empty list of {', '.join(SCOPES)}")
    unknown = sorted(str(s) for s in scopes if s not in SCOPES)
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}: scopes are {', '.join(SCOPES)}")
    return frozenset(str(s) for s in scopes)


def session_scopes(roles: frozenset[str]) -> frozenset[str]:
    """What a signed-in person may do with a browser session: read always; write as maker
    or admin; approve as checker."""
    scopes = {"read"}
    if roles & {"maker", "admin"}:
        scopes.add("write")
    if "checker" in roles:
        scopes.add("approve")
    return frozenset(scopes)
