"""The ID token checks of single sign-on, one by one, on tokens signed here with real keys
(the whole login against a real provider is tests/people/test_sso.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from scfledger.exceptions import InvalidInput, SsoFailed
from scfledger.people.sso import check_issuer, id_token_claims, signing_algorithms

ISSUER = "https://login.core.example"
CLIENT = "scfledger"
NONCE = "n-0S6_WzA2Mj"
ACCESS_TOKEN = "an-access-token"  # a value for at_hash


def _at_hash(token: str) -> str:
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def _jwks(key: RSAKey) -> dict[str, Any]:
    return dict(KeySet([key]).as_dict(private=False))


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": CLIENT,
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "at_hash": _at_hash(ACCESS_TOKEN),
        **changes,
    }
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: RSAKey | OctKey, claims: dict[str, Any], alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key, algorithms=[alg])


def _check(token: str, jwks: dict[str, Any], **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "id_token": token,
        "access_token": ACCESS_TOKEN,
        "jwks": jwks,
        "algorithms": ["RS256"],
        "issuer": ISSUER,
        "client_id": CLIENT,
        "nonce": NONCE,
        **changes,
    }
    return id_token_claims(**arguments)


def test_a_token_that_holds_gives_its_claims(key: RSAKey) -> None:
    claims = _check(_sign(key, _claims(preferred_username="alice")), _jwks(key))
    assert (claims["sub"], claims["preferred_username"]) == ("alice", "alice")


def test_an_audience_list_naming_the_gateway_holds(key: RSAKey) -> None:
    token = _sign(key, _claims(aud=[CLIENT], azp=CLIENT))
    assert _check(token, _jwks(key))["aud"] == [CLIENT]


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://login.evil.example"},
        {"iss": None},
        {"aud": "another-client"},
        {"aud": ["another-client"]},
        {"aud": None},
        {"exp": int(time.time()) - 3600},
        {"exp": None},
        {"iat": None},
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"at_hash": _at_hash("another-access-token")},
        {"sub": None},
    ],
    # Named by the claims changed, not their values: an expiry is a time, which would
    # differ between the processes of a parallel run.
    ids=lambda changes: ",".join(changes),
)
def test_a_claim_that_does_not_hold_is_refused(key: RSAKey, changes: dict[str, Any]) -> None:
    with pytest.raises(SsoFailed):
        _check(_sign(key, _claims(**changes)), _jwks(key))


def test_a_token_signed_by_another_key_is_refused(key: RSAKey) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(SsoFailed):
        _check(_sign(other, _claims()), _jwks(key))


def test_a_payload_altered_after_signing_is_refused(key: RSAKey) -> None:
    header, _payload, signature = _sign(key, _claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(_claims(sub="bob")).encode()).rstrip(b"=")
    with pytest.raises(SsoFailed):
        _check(f"{header}.{forged.decode()}.{signature}", _jwks(key))


def test_an_unsigned_token_is_refused(key: RSAKey) -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none'})}.{part(_claims())}."
    offered = {"id_token_signing_alg_values_supported": ["RS256", "none"]}
    assert signing_algorithms(offered) == ["RS256"]
    with pytest.raises(SsoFailed):
        _check(unsigned, _jwks(key), algorithms=signing_algorithms(offered))


def test_a_token_signed_with_the_client_secret_is_refused(key: RSAKey) -> None:
    """HMAC with the client secret proves only that the token was made for the client, by
    anyone who holds the secret: the published keys are what the gateway trusts."""
    secret = OctKey.import_key("a-client-secret-of-at-least-32-bytes!")
    offered = {"id_token_signing_alg_values_supported": ["RS256", "HS256"]}
    assert signing_algorithms(offered) == ["RS256"]
    with pytest.raises(SsoFailed):
        _check(_sign(secret, _claims(), alg="HS256"), _jwks(key), algorithms=["RS256"])


@pytest.mark.parametrize(
    ("issuer", "loopback", "accepted"),
    [
        ("https://login.core.example", False, True),
        ("https://login.core.example/realms/staff", False, True),
        ("http://127.0.0.1:8080", True, True),
        ("http://localhost:8080", True, True),
        ("http://[::1]:8080", True, True),
        ("http://127.0.0.1:8080", False, False),
        ("http://login.core.example", True, False),
        ("http://10.0.0.5", True, False),
        ("https://login.core.example?tenant=1", False, False),
        ("https://login.core.example#x", False, False),
        ("https://user:pw@login.core.example", False, False),
        ("ftp://login.core.example", True, False),
        ("https://", False, False),
    ],
)
def test_an_issuer_is_https_or_plain_http_to_this_machine_outside_production(
    issuer: str, loopback: bool, accepted: bool
) -> None:
    if accepted:
        check_issuer(issuer, allow_http_loopback=loopback)
    else:
        with pytest.raises(InvalidInput):
            check_issuer(issuer, allow_http_loopback=loopback)
