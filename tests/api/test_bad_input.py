"""Bad input over HTTP against `scf serve` in its own process (issue 12, findings 1, 6, 7, 9
and the abuse run): every refusal is a 4xx problem with a stable type, changes nothing, and
the process answers the next request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from scfledger.api.batch_input import MAX_BATCH_BYTES
from scfledger.api.guard import MAX_BODY_BYTES, MAX_JSON_DEPTH
from scfledger.api.schemas import MAX_TERM_SECONDS
from tests.support.api import assert_problem
from tests.support.checking import person_key
from tests.support.served import Served, served_process

pytestmark = pytest.mark.integration

DAY = 86_400
MAX_INT64 = 2**63 - 1
JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 100_000 + b"]" * 100_000  # the body that killed the process (finding 1)
DUE = int(time.time()) + 90 * DAY


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("bad-input")
    database = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_process(directory, database, workers=1) as served:
        yield served


def operations(api: Served) -> list[tuple[str, str, str]]:
    """Every operation the gateway accepted: (participant, idempotency key, kind)."""
    engine = create_engine(api.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT participant, idempotency_key, kind FROM operations ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    return [(str(p), str(k), str(kind)) for p, k, kind in rows]


def assert_up(api: Served) -> None:
    """The served process is alive and answers anonymous and authenticated requests."""
    assert api.pid is not None
    os.kill(api.pid, 0)  # raises if the process is gone
    assert httpx.get(f"{api.url}/healthz", timeout=10).status_code == 200
    with api.client("auditor") as auditor:
        assert auditor.get("/v1/members").status_code == 200


def raw_exchange(api: Served, head: bytes) -> tuple[int, bytes]:
    """Sends request headers only (no body follows) and reads the answer: the server
    answers without waiting for a body it will not read."""
    parts = urlsplit(api.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {received!r}"
            received += chunk
        headers, _, body = received.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in headers.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed mid-answer"
            body += chunk
    return int(headers.split(b" ", 2)[1]), body


def issue_body(api: Served, document: str, **changes: Any) -> dict[str, Any]:
    return {
        "creditor": api.address("supplier1"),
        "face_amount": "10000.00",
        "currency": "CNY",
        "due_date": DUE,
        "document_hash": document,
        **changes,
    }


# -- finding 1: nested and huge bodies ---------------------------------------------------


def test_py_ecc_raises_the_recursion_limit_and_every_entry_point_restores_it() -> None:
    def limit_after(imports: str) -> int:
        code = f"import sys\n{imports}\nprint(sys.getrecursionlimit())"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return int(out.stdout)

    assert limit_after("import py_ecc") == 100_000  # why the process could die
    # Every entry point (scf, its uvicorn workers) imports the package first; something
    # that imported web3 before it gets the default limit back too.
    assert limit_after("import scfledger, web3, eth_account") == 1000
    assert limit_after("import web3, eth_account\nimport scfledger") == 1000


def test_a_deeply_nested_body_is_refused_and_the_server_stays_up(api: Served) -> None:
    before = operations(api)
    anonymous = httpx.post(f"{api.url}/v1/receivables", content=DEEP, headers=JSON, timeout=30)
    assert_problem(anonymous, 401, "unauthenticated")
    assert_up(api)
    with api.client("core") as core:
        deep = core.post(
            "/v1/receivables", content=DEEP, headers={**JSON, "Idempotency-Key": "deep"}
        )
        body = assert_problem(deep, 400, "body-too-deep")
        assert str(MAX_JSON_DEPTH) in body["detail"]
        assert_up(api)
        just_over = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
        assert_problem(
            core.post(
                "/v1/receivables", content=just_over, headers={**JSON, "Idempotency-Key": "d2"}
            ),
            400,
            "body-too-deep",
        )
        # At the limit the body is parsed (and is no JSON object); brackets in strings do
        # not nest anything.
        at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
        assert_problem(
            core.post(
                "/v1/receivables", content=at_limit, headers={**JSON, "Idempotency-Key": "d3"}
            ),
            400,
            "malformed-body",
        )
        in_strings = issue_body(api, "0x" + "de" * 32, currency="[" * 1000 + "{" * 1000)
        quoted = core.post("/v1/receivables", json=in_strings, headers={"Idempotency-Key": "d4"})
        assert [e["loc"] for e in assert_problem(quoted, 422, "currency-unknown")["errors"]] == [
            ["body", "currency"]
        ]
    assert operations(api) == before


def test_a_huge_body_is_refused_before_it_is_read(api: Served) -> None:
    before = operations(api)
    core_key = api.seeded.api_keys["core"]
    # Headers announcing a gigabyte, and no body: both answers come without waiting for it.
    head = (
        "POST /v1/receivables HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000000000\r\nIdempotency-Key: huge\r\n"
    )
    status, answer = raw_exchange(api, f"{head}\r\n".encode())
    assert (status, b"/problems/unauthenticated" in answer) == (401, True)
    status, answer = raw_exchange(api, f"{head}Authorization: Bearer {core_key}\r\n\r\n".encode())
    assert (status, b"/problems/body-too-large" in answer) == (413, True)
    with api.client("core") as core:
        too_long = b'"' + b"a" * MAX_BODY_BYTES + b'"'
        headers = {**JSON, "Idempotency-Key": "huge-2"}
        assert_problem(
            core.post("/v1/receivables", content=too_long, headers=headers), 413, "body-too-large"
        )

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'"'
            for _ in range(MAX_BODY_BYTES // 65536 + 1):
                yield b"a" * 65536
            yield b'"'

        chunked = core.post("/v1/receivables", content=chunks(), headers=headers)
        assert_problem(chunked, 413, "body-too-large")
    assert_up(api)
    assert operations(api) == before


def test_an_unauthenticated_body_is_not_parsed(api: Served) -> None:
    for body in (b"{not json", b"\xff\xfe", b"1" * 10_000):
        response = httpx.post(f"{api.url}/v1/receivables", content=body, headers=JSON)
        assert_problem(response, 401, "unauthenticated")
    with api.client("core") as core:
        response = core.post("/v1/receivables", content=b"{not json", headers=JSON)
        assert_problem(response, 400, "malformed-body")


# -- finding 6: cursors --------------------------------------------------------------------

BAD_CURSORS = ["²", "١٢", "9223372036854775808", "9999999999999999999", "-1", "1.0", " 1", "+1",
               "0x10", "1" * 5000]  # fmt: skip
PAGED = ("/v1/pieces", "/v1/financing-requests", "/v1/settlements")


def test_bad_cursors_are_400_on_every_page_the_feed_and_the_stream(api: Served) -> None:
    with api.client("auditor") as auditor:
        for cursor in BAD_CURSORS:
            for path in PAGED:
                response = auditor.get(path, params={"cursor": cursor})
                assert_problem(response, 400, "invalid-cursor")
            assert_problem(
                auditor.get("/v1/events", params={"after": cursor}), 400, "invalid-cursor"
            )
            # The stream refuses before it starts (it answered 200, then broke off).
            stream = auditor.get("/v1/events/stream", params={"after": cursor, "duration": 1})
            assert_problem(stream, 400, "invalid-cursor")
            if cursor == cursor.strip():  # a header value cannot start with a space
                header = {b"Last-Event-ID": cursor.encode()}
                resumed = auditor.get("/v1/events/stream", params={"duration": 1}, headers=header)
                assert_problem(resumed, 400, "invalid-cursor")
        # The largest cursor the database holds is a cursor: past every row.
        for path in PAGED:
            assert auditor.get(path, params={"cursor": str(MAX_INT64)}).json()["items"] == []
        last = auditor.get("/v1/events", params={"after": str(MAX_INT64)}).json()
        assert last == {"items": [], "next_cursor": str(MAX_INT64)}
        with auditor.stream(
            "GET",
            "/v1/events/stream",
            params={"duration": 1},
            headers={"Last-Event-ID": str(MAX_INT64)},
        ) as stream:
            assert stream.status_code == 200
            assert "".join(stream.iter_text()).startswith("retry:")  # and it ends cleanly
    assert_up(api)


# -- finding 7: idempotency keys -----------------------------------------------------------


def write(
    client: httpx.Client, path: str, key: str, body: Any = None, wait: str = "indexed"
) -> httpx.Response:
    return client.post(path, json=body, headers={"Idempotency-Key": key}, params={"wait": wait})


def test_a_key_reused_for_another_request_is_a_conflict_before_any_check(api: Served) -> None:
    invoice = api.document("core", "invoice f7")
    quote = api.document("supplier1", "invoice f8")
    with api.client("core") as core, api.client("supplier1") as supplier1:
        issued = write(core, "/v1/receivables", "f7-issue", issue_body(api, invoice))
        assert issued.status_code == 202, issued.text
        operation = issued.json()
        token = next(e for e in operation["events"] if e["name"] == "ReceivableIssued")
        slot = int(token["args"]["slot"])
        accepted = write(supplier1, f"/v1/receivables/{slot}/accept", "f7-accept")
        assert accepted.status_code == 202, accepted.text
        before = operations(api)

        # core holds no piece: the transfer would be refused, but the key names the issue.
        to = {"to": api.address("supplier2"), "value": "0.01"}
        for token_id in (1, 999_999):
            conflict = write(core, f"/v1/pieces/{token_id}/transfers", "f7-issue", to)
            body = assert_problem(conflict, 409, "idempotency-conflict")
            assert operation["id"] in body["detail"]
        # supplier1 may not issue at all (403 without the key): the key decides first.
        refused = write(supplier1, "/v1/receivables", "f7-accept", issue_body(api, quote))
        assert_problem(refused, 409, "idempotency-conflict")
        assert_problem(
            write(supplier1, "/v1/receivables", "f7-fresh", issue_body(api, quote)),
            403,
            "missing-role",
        )
        # The contract's refusal is kept as a failed operation under its key, nothing else.
        fresh = ("supplier1", "f7-fresh", "receivable.issue")
        assert sorted(operations(api)) == sorted([*before, fresh])
        before = operations(api)
        # The same request again is the first attempt's operation, though its document is
        # taken now and the receivable no longer pending: a retry is not checked again.
        again = write(core, "/v1/receivables", "f7-issue", issue_body(api, invoice))
        assert (again.status_code, again.json()["id"]) == (202, operation["id"])
        retried = write(supplier1, f"/v1/receivables/{slot}/accept", "f7-accept")
        assert (retried.status_code, retried.json()["id"]) == (202, accepted.json()["id"])
        # Keys are per participant: supplier1's "f7-issue" is unused, so its checks decide.
        unknown = write(supplier1, "/v1/pieces/999999/transfers", "f7-issue", to)
        assert_problem(unknown, 404, "not-found")
    assert operations(api) == before
    assert_up(api)


# -- finding 9: loose types and out-of-range integers ----------------------------------------


def test_numbers_are_integers_in_range_without_coercion(api: Served) -> None:
    now = int(time.time())
    # Amounts are decimal strings, refused with their own problem types (test_amounts.py).
    terms = {"advance": "0.01", "repayment": "0.01", "fees": "0", "fund_by": now + 86_400}
    ask = {"token_id": 1, "financiers": [api.address("bank")], "terms": terms}
    loose: list[tuple[str, str, dict[str, Any]]] = [
        ("bank", "PUT /v1/policies", {"max_depth": "4"}),
        ("bank", "PUT /v1/policies", {"auto_decide": 1}),
        ("bank", "PUT /v1/policies", {"velocity_window_blocks": 2**63}),
        ("supplier1", "POST /v1/financing-requests", {**ask, "token_id": "1"}),
        ("supplier1", "POST /v1/financing-requests", {**ask, "recourse": 1}),
        ("core", "POST /v1/settlements", {"slot": 1, "token_ids": ["1"], "payment_ref": "x"}),
        ("bank", "POST /v1/financing-requests/1/offers", {**terms, "fund_by": 1.0}),
        ("supplier1", "POST /v1/financing-requests/1/accept", {"financier": 1, "terms": terms}),
    ]
    for field, value in (
        ("due_date", 1e10),
        ("due_date", str(DUE)),
        ("due_date", True),
        ("due_date", 2**63),  # wedged the indexer (finding 2)
        ("due_date", now + MAX_TERM_SECONDS + DAY),  # past the 50-year term
    ):
        body = issue_body(api, "0x" + "f9" * 32, **{field: value})
        loose.append(("core", "POST /v1/receivables", body))
    before = operations(api)
    for index, (participant, route, body) in enumerate(loose):
        method, path = route.split(" ")
        with api.client(participant) as client:
            response = client.request(
                method, path, json=body, headers={"Idempotency-Key": f"f9-{index}"}
            )
        errors = assert_problem(response, 422, "validation-error")["errors"]
        assert len(errors) == 1, (route, body, errors)
        assert errors[0]["loc"][0] == "body", (route, body, errors)
    with api.client("auditor") as auditor:
        for path, params in (
            ("/v1/pieces", {"limit": "1.0"}),
            ("/v1/pieces", {"slot": "+1"}),
            ("/v1/pieces", {"due_from": "1_000"}),
            ("/v1/pieces", {"due_to": str(2**63)}),
            ("/v1/events", {"limit": " 5"}),
            ("/v1/financing-requests", {"token_id": "1e3"}),
            ("/v1/settlements", {"slot": "true"}),
            ("/v1/pieces/1.0", {}),
            ("/v1/pieces/+1/lineage", {}),
            (f"/v1/financing-requests/{2**63}", {}),
            ("/v1/proposals/٣", {}),
        ):
            response = auditor.get(path, params=params)
            assert_problem(response, 422, "validation-error")
    assert operations(api) == before
    # Within the term, the same body is accepted (the bound is not tighter than documented).
    with api.client("core") as core:
        due = now + MAX_TERM_SECONDS - DAY
        accepted = write(
            core,
            "/v1/receivables",
            "f9-ok",
            issue_body(api, api.document("core", "invoice f9"), due_date=due),
            wait="none",
        )
        assert accepted.status_code == 202, accepted.text
    assert_up(api)


# -- abuse: every route that takes a body, from the served OpenAPI document --------------------

DEEP_OBJECTS = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nx\r\n--b--\r\n'
)
# (what, body, content type, status and problem type on a JSON route)
ABUSES: list[tuple[str, bytes, str | None, int, str]] = [
    ("deep arrays", DEEP, "application/json", 400, "body-too-deep"),
    ("deep objects", DEEP_OBJECTS, "application/json", 400, "body-too-deep"),
    ("huge", b'"' + b"a" * MAX_BODY_BYTES + b'"', "application/json", 413, "body-too-large"),
    ("not JSON", b"{not json", "application/json", 400, "malformed-body"),
    ("truncated", b'{"a": [1, 2', "application/json", 400, "malformed-body"),
    ("not UTF-8", b'{"a": "\xff\xfe"}', "application/json", 400, "malformed-body"),
    ("a 10,000-digit number", b"1" * 10_000, "application/json", 400, "malformed-body"),
    ("no object", b"[1, 2]", "application/json", 400, "malformed-body"),
    ("+json", b"{not json", "application/merge-patch+json", 400, "malformed-body"),
    ("text", b"{}", "text/plain", 415, "unsupported-media-type"),
    ("a form", b"a=1", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
    ("multipart", MULTIPART, "multipart/form-data; boundary=b", 415, "unsupported-media-type"),
    ("no content type", b"{}", None, 415, "unsupported-media-type"),
]


PUBLIC_BODIES = {"/v1/auth/login"}  # routes with a body that need no credential


def body_routes(api: Served) -> list[tuple[str, str, str]]:
    """(method, path with its parameters filled in, media type) of every operation with a
    request body in the served OpenAPI document."""
    schema = httpx.get(f"{api.url}/openapi.json").json()
    routes = []
    for template, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content")
            if not content:
                continue
            path = template
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    integer = parameter["schema"].get("type") == "integer"
                    value = "1" if integer else api.address("supplier3")
                    path = path.replace("{" + parameter["name"] + "}", value)
            routes.append((method.upper(), path, ",".join(content)))
    return routes


def problem_of(response: httpx.Response) -> tuple[int, str]:
    """Status and problem type slug (or the start of a body that is no problem)."""
    if response.headers.get("content-type") != "application/problem+json":
        return response.status_code, f"(no problem) {response.text[:100]}"
    return response.status_code, str(response.json()["type"]).rsplit("/", 1)[1]


def test_every_body_route_answers_abuse_with_a_problem(api: Served) -> None:
    routes = body_routes(api)
    assert {(m, p) for m, p, _ in routes} >= {
        ("POST", "/v1/receivables"),
        ("POST", "/v1/pieces/1/transfers"),
        ("POST", "/v1/documents"),
        ("PUT", "/v1/policies"),
        ("POST", "/v1/transactions"),
        ("POST", "/v1/webhooks"),
        ("POST", "/v1/members"),
    }
    before = operations(api)
    failures = []
    # A checker's decisions: the service account may not make them (403 before the body).
    checker_key = person_key(api, "core", "abuse-checker", ["checker"], ["read", "approve"])
    checker = httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {checker_key}"})
    with api.client() as anonymous, api.client("core") as service, checker:
        for method, path, media in routes:
            core = checker if path.startswith("/v1/drafts/") else service
            for what, body, content_type, status, slug in ABUSES:
                if what == "huge" and path == "/v1/batches":  # a batch's own, larger limit
                    body = b'"' + b"a" * MAX_BATCH_BYTES + b'"'
                headers = {"Idempotency-Key": f"abuse-{what}"}
                if content_type is not None:
                    headers["Content-Type"] = content_type
                refusal = problem_of(anonymous.request(method, path, content=body, headers=headers))
                # Signing in is open to anyone: its body is bounded all the same.
                anonymous_gets = (
                    (status, slug) if path in PUBLIC_BODIES else (401, "unauthenticated")
                )
                if refusal != anonymous_gets:
                    failures.append(f"{method} {path} {what}, anonymous: {refusal}")
                got = problem_of(core.request(method, path, content=body, headers=headers))
                # A streamed upload refuses anything but a form with an allowed file, in its
                # own words (its own types are tested with documents).
                upload = "multipart/form-data" in media and 400 <= got[0] < 500
                if got != (status, slug) and not (upload and "(no problem)" not in got[1]):
                    failures.append(f"{method} {path} {what}: {got}, not {(status, slug)}")
        big = ("big.pdf", b"%PDF" + b"0" * (10 * 2**20), "application/pdf")
        too_large = service.post("/v1/documents", files={"file": big})
        assert_problem(too_large, 413, "document-too-large")
    assert failures == []
    assert operations(api) == before
    assert_up(api)
