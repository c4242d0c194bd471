"""Schemathesis against the served gateway's /openapi.json: every operation, every method
(GET, POST, PUT, PATCH, DELETE), as a member that acts and as an auditor (their API keys),
and the people operations as a signed-in person (a session cookie and its CSRF token); no
generated request gets a 5xx, and every answer conforms to the document (status, media
type, body schema). The operations are split into SHARDS tests, marked `spread`, so that
xdist's workers share them; the server-sent event streams are fuzzed too, told to end at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.db.session import create_db_engine, session_factory
from scfledger.keys.store import KeyStore
from scfledger.people import sessions as browser
from scfledger.people.users import create_user
from tests.support.served import PASSPHRASE, Served, served_gateway

pytestmark = pytest.mark.integration

EXAMPLES = 20  # per operation and participant: about 4,000 requests
# Tests the operations are dealt into (by label, in turn): xdist's workers take them in
# parallel, each with its own served gateway.
SHARDS = 8
PARTICIPANTS = ("auditor", "supplier1")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Server-sent event streams answer 200 and end after `duration` seconds (300 by default): a
# valid duration is cut to STREAM_SECONDS so that each answer is whole and judged like the
# others; an invalid one is left for the server to refuse. (Fuzzed with their default,
# they held the run for 30 s a request.)
STREAMS = {"/v1/events/stream", "/v1/drafts/stream"}
STREAM_SECONDS = 0.05
# The fuzzing participants manage their own API keys; a generated revocation must not
# reach the keys the fuzzer uses, so these routes name a participant that does not exist.
OWN_KEYS = {"/v1/participants/{name}/api-keys", "/v1/participants/{name}/api-keys/{prefix}"}
NOBODY = "nobody-fuzzed"
# The people operations, fuzzed again as a signed-in person (with its cookie); signing out
# would end the session the rest of the run uses.
PEOPLE_PATHS = ("/v1/auth", "/v1/sessions", "/v1/users", "/v1/participants")
SIGN_OUT = "POST /v1/auth/logout"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def api(directory: Path) -> Iterator[Served]:
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
        yield served


@pytest.fixture(scope="module")
def operations(api: Served) -> list[schemathesis.APIOperation[Any, Any, Any, Any]]:
    """Every operation of the served document, by label (read with a generous timeout: the
    first answer builds the document, which on a busy machine takes schemathesis's 10 s)."""
    document = httpx.get(f"{api.url}/openapi.json", timeout=120)
    assert document.status_code == 200, document.text
    schema = schemathesis.openapi.from_dict(document.json())
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the gateway's own schema does not load: a bug to see
        found.append(result.ok())
    return sorted(found, key=lambda operation: operation.label)


@pytest.fixture(scope="module")
def person(api: Served, directory: Path) -> dict[str, str]:
    return signed_in(api, directory)


def signed_in(api: Served, directory: Path) -> dict[str, str]:
    """The headers of supplier1's new admin and maker, signed in: its cookie and CSRF token."""
    sealer = KeyStore(directory / "keys", PASSPHRASE, scrypt_n=2**10).sealer(WEBHOOK_SECRETS)
    engine = create_db_engine(api.database_url)
    try:
        with session_factory(engine)() as session:
            user, _ = create_user(
                session,
                participant="supplier1",
                username="fuzzed-admin",
                roles=["admin", "maker"],
                sealer=sealer,
            )
            opened = browser.open_session(session, user, address="127.0.0.1")
            session.commit()
    finally:
        engine.dispose()
    return {
        "Cookie": f"{browser.COOKIE}={opened.token}",
        browser.CSRF_HEADER: opened.csrf_token,
    }


def headers_of(api: Served, participant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.seeded.api_keys[participant]}"}


def cut_stream(query: Any) -> Any:
    """The query with a valid `duration` (or none) cut to STREAM_SECONDS."""
    if query is None:
        return {"duration": STREAM_SECONDS}
    if not isinstance(query, dict):
        return query
    duration = query.get("duration", STREAM_SECONDS)
    try:
        valid = 0 < float(duration) <= 3600
    except (TypeError, ValueError, OverflowError):
        valid = False
    return {**query, "duration": STREAM_SECONDS} if valid else query


def fuzz(
    api: Served,
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
    participant: str,
    headers: dict[str, str] | None = None,
) -> list[str]:
    """Up to EXAMPLES generated requests of `operation` as `participant` (its API key, or
    `headers`): the failed checks."""
    headers = headers or headers_of(api, participant)
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), short_wait=st.booleans())
    def run(case: schemathesis.Case[Any], short_wait: bool) -> None:
        if short_wait and isinstance(case.query, dict) and "timeout" in case.query:
            # A valid write told to wait up to 60 s for `indexed` only slows the run down;
            # what it answers does not depend on the bound.
            case.query["timeout"] = 0.5
        if operation.path in STREAMS:
            case.query = cut_stream(case.query)
        if operation.path in OWN_KEYS and isinstance(case.path_parameters, dict):
            case.path_parameters["name"] = NOBODY
        response = case.call(base_url=api.url, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            failures.append(
                f"{participant} {case.method} {case.formatted_path} query={case.query} "
                f"body={case.body!r} -> {response.status_code} {response.text[:300]}: "
                + "; ".join(f.title for f in group.exceptions)
            )

    run()
    return failures


def shard_of(
    operations: list[schemathesis.APIOperation[Any, Any, Any, Any]], shard: int
) -> list[schemathesis.APIOperation[Any, Any, Any, Any]]:
    return operations[shard::SHARDS]


def test_every_operation_is_fuzzed(
    operations: list[schemathesis.APIOperation[Any, Any, Any, Any]],
) -> None:
    """The shards deal out every route, including those added after this test was written,
    the streams among them."""
    labels = {operation.label for operation in operations}
    assert labels >= {
        "GET /v1/members",
        "POST /v1/receivables",
        "GET /v1/pieces",
        "POST /v1/pieces/{token_id}/transfers",
        "POST /v1/financing-requests",
        "PUT /v1/policies",
        "POST /v1/documents",
        "DELETE /v1/participants/{name}/api-keys/{prefix}",
        "GET /v1/events/stream",
        "GET /v1/drafts/stream",
    }
    assert labels >= {
        "POST /v1/auth/login",
        "GET /v1/auth/me",
        "GET /v1/sessions",
        "POST /v1/users",
        "PATCH /v1/users/{user_id}",
    }
    assert {label.split(" ")[0] for label in labels} == {"GET", "POST", "PUT", "PATCH", "DELETE"}
    dealt = [o.label for shard in range(SHARDS) for o in shard_of(operations, shard)]
    assert sorted(dealt) == sorted(labels)
    # A stream the fuzzer does not know would hold each of its requests for minutes.
    streams = {o.path for o in operations if o.path.endswith("/stream")}
    assert streams == STREAMS
    people = [o for o in operations if o.path.startswith(PEOPLE_PATHS) and o.label != SIGN_OUT]
    assert len(people) >= 12


@pytest.mark.spread  # a shard needs only a served gateway: xdist's workers share them out
@pytest.mark.parametrize("shard", range(SHARDS))
def test_generated_requests_get_documented_answers_and_no_server_error(
    api: Served,
    operations: list[schemathesis.APIOperation[Any, Any, Any, Any]],
    person: dict[str, str],
    shard: int,
) -> None:
    mine = shard_of(operations, shard)
    failures = [
        failure
        for operation in mine
        for participant in PARTICIPANTS
        for failure in fuzz(api, operation, participant)
    ]
    # The people operations again, as a person signed in (cookie and CSRF token).
    people = [o for o in mine if o.path.startswith(PEOPLE_PATHS) and o.label != SIGN_OUT]
    failures += [f for o in people for f in fuzz(api, o, "supplier1's person", person)]
    assert failures == [], "\n".join(failures)
    # The fuzzer's own keys and session still work: it revoked nothing it uses.
    for participant in PARTICIPANTS:
        with api.client(participant) as client:
            assert client.get("/v1/members").status_code == 200
    me = httpx.get(f"{api.url}/v1/auth/me", headers=person)
    assert (me.status_code, me.json()["username"]) == (200, "fuzzed-admin")
