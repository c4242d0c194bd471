"""The served OpenAPI document is one a partner can code against: the authentication scheme
on every operation that needs it, each operation's problems (checked against what the
gateway answers), enums on status fields, units on amounts, `Idempotency-Key` required on
writes; and /docs loads nothing from another host."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from scfledger.api import (
    draft_schemas,
    fields,
    openapi,
    schemas,
    schemas_batch,
    schemas_people,
    schemas_policy,
    schemas_pricing,
    schemas_setoff,
    swagger_ui,
)
from scfledger.api.errors import PROBLEM_BASE
from scfledger.money import AMOUNT_PATTERN
from scfledger.risk import policy
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

METHODS = {"get", "post", "put", "delete", "patch"}
# Sign-in (password, or single sign-on's login and callback): no credential yet.
PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "GET /v1/auth/sso/{participant}/login",
    "GET /v1/auth/sso/{participant}/callback",
    "POST /v1/auth/login",
}
# OAuth 2's `state` (RFC 6749): an opaque value the gateway gave the identity provider.
NOT_A_STATUS = {("GET", "/v1/auth/sso/{participant}/callback", "state")}
STATUS_LIKE = {"status", "state"}
AMOUNTS = {
    "face_amount",
    "settled_value",
    "value",
    "advance",
    "repayment",
    "fees",
    "amount",
    "submitted_amount",
    "lien_amount",
    "two_checker_amount",
}
# The risk view's indicators, still in minor units: issue 16's charts work changes them.


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("openapi")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
        yield served


@pytest.fixture(scope="module")
def document(api: Served) -> dict[str, Any]:
    response = httpx.get(f"{api.url}/openapi.json", timeout=60)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def filled(api: Served, path: str, operation: dict[str, Any]) -> str:
    """`path` with each parameter given a well-formed value."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            schema = parameter["schema"]
            value = "1" if schema.get("type") == "integer" else api.address("supplier3")
            if parameter["name"] == "sha256":
                value = "ab" * 32
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def response_of(document: dict[str, Any], operation: dict[str, Any], status: int) -> Any:
    """The operation's response for `status` (a reference resolved), or None."""
    response = operation["responses"].get(str(status))
    if response is not None and "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def problem_types(response: dict[str, Any]) -> list[str]:
    schema = response["content"]["application/problem+json"]["schema"]
    types: list[str] = schema["allOf"][1]["properties"]["type"]["enum"]
    return types


def documented(document: dict[str, Any], operation: dict[str, Any], status: int, slug: str) -> bool:
    """Whether the operation lists the problem `slug` under `status`."""
    response = response_of(document, operation, status)
    return response is not None and PROBLEM_BASE + slug in problem_types(response)


def problem(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, str(response.json()["type"]).removeprefix(PROBLEM_BASE)


def test_every_authenticated_operation_declares_the_api_key_and_answers_401_without_it(
    api: Served, document: dict[str, Any]
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes[openapi.API_KEY] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes[openapi.API_KEY]["description"],
    }
    with httpx.Client(base_url=api.url, timeout=30) as anonymous:
        for method, path, operation in operations(document):
            key = f"{method} {path}"
            if key in PUBLIC:
                assert "security" not in operation, key
                continue
            expected = openapi.METRICS_TOKEN if path == "/metrics" else openapi.API_KEY
            assert operation["security"] == [{expected: []}], key
            answer = problem(anonymous.request(method, filled(api, path, operation), json={}))
            assert answer == (401, "unauthenticated"), key
            assert documented(document, operation, *answer), key


def test_every_operation_lists_its_problems_by_status_with_known_types(
    document: dict[str, Any],
) -> None:
    for method, path, operation in operations(document):
        key = f"{method} {path}"
        statuses = {int(s) for s in operation["responses"] if s.isdigit() and int(s) >= 400}
        assert 500 in statuses, key
        if key not in PUBLIC:
            assert documented(document, operation, 401, "unauthenticated"), key
        for status in statuses:
            response = response_of(document, operation, status)
            if key == "GET /readyz" and status == 503:
                continue  # readiness answers its own body
            slugs = [t.removeprefix(PROBLEM_BASE) for t in problem_types(response)]
            assert slugs, (key, status)
            for slug in slugs:
                assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), (key, slug)
                assert f"`{slug}`" in response["description"], (key, slug)
        if "requestBody" in operation and path != "/v1/documents":
            assert documented(document, operation, 400, "malformed-body"), key
            assert documented(document, operation, 413, "body-too-large"), key
            assert documented(document, operation, 415, "unsupported-media-type"), key
            assert documented(document, operation, 422, "validation-error"), key
    # Every entry of the table names an operation the gateway serves.
    served = {f"{method} {path}" for method, path, _ in operations(document)}
    assert set(openapi.ROUTE_PROBLEMS) <= served
    assert set(openapi.PROBES) <= served
    assert {key for key, _ in openapi.FILTER_VALUES} <= served


def test_refusals_the_gateway_answers_are_the_documented_ones(
    api: Served, document: dict[str, Any]
) -> None:
    """As a member: a write without an Idempotency-Key, a body that is no JSON, a path id
    that names nothing; each answer is listed for its operation."""
    with api.client("supplier1") as client:
        for method, path, operation in operations(document):
            key = f"{method} {path}"
            if key in PUBLIC or path in ("/metrics", "/v1/events/stream"):
                continue
            url = filled(api, path, operation)
            if "requestBody" in operation and path != "/v1/documents":
                answer = problem(
                    client.request(
                        method,
                        url,
                        content=b"{not json",
                        headers={"Content-Type": "application/json", "Idempotency-Key": key},
                    )
                )
                assert documented(document, operation, *answer), (key, answer)
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
                answer = problem(client.request(method, url, json={}))
                assert answer == (400, "missing-idempotency-key"), key
                assert documented(document, operation, *answer), key
            if "{" in path and method == "GET":
                response = client.get(url)
                if response.status_code >= 400:
                    answer = problem(response)
                    assert documented(document, operation, *answer), (key, answer)


def _draft_only(operation: dict[str, Any]) -> bool:
    schema = operation["responses"]["202"]["content"]["application/json"]["schema"]
    return bool(schema == {"$ref": "#/components/schemas/DraftOut"})


def test_idempotency_key_is_required_on_every_write(document: dict[str, Any]) -> None:
    writes = 0
    for method, path, operation in operations(document):
        # Administration held for a checker (the policy, users, API keys) answers 202 with
        # the draft alone: no ledger write, no key.
        if "202" not in operation["responses"] or path == "/readyz" or _draft_only(operation):
            continue
        writes += 1
        (header,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header", f"{method} {path}"
        assert header["required"] is True, f"{method} {path}"
        assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 128}
    assert writes >= 30


def properties(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, schema in document["components"]["schemas"].items():
        for prop, spec in schema.get("properties", {}).items():
            yield name, prop, spec


def variants(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null schemas a property may take."""
    return [s for s in spec.get("anyOf", [spec]) if s.get("type") != "null"]


def test_every_status_field_has_an_enum(document: dict[str, Any]) -> None:
    checked = 0
    for name, prop, spec in properties(document):
        if prop in STATUS_LIKE and name != "Problem":  # a problem's status is its HTTP code
            checked += 1
            # a single value (`const`) is an enum of one
            assert all("enum" in s or "const" in s for s in variants(spec)), f"{name}.{prop}"
    assert checked >= 10
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if (
                parameter["name"] in STATUS_LIKE
                and (method, path, parameter["name"]) not in NOT_A_STATUS
            ):
                assert all("enum" in s for s in variants(parameter["schema"])), (method, path)


def test_every_amount_is_a_decimal_string_never_a_number(document: dict[str, Any]) -> None:
    """Every amount of every body is a JSON string of plain decimal notation (documented
    with its pattern and an example), in requests and in answers: no integer of minor
    units is left (docs/money.md)."""
    checked = 0
    for name, prop, spec in properties(document):
        if prop not in AMOUNTS:
            continue
        if (name, prop) == ("QuoteIn", "fees"):  # an object: a flat amount and basis points
            continue
        typed = [s for s in variants(spec) if s.get("type") != "null"]
        assert typed, f"{name}.{prop}"
        for variant in typed:
            checked += 1
            assert variant.get("type") == "string", f"{name}.{prop}: {variant}"
            assert variant.get("pattern") == AMOUNT_PATTERN, f"{name}.{prop}"
            assert variant.get("examples"), f"{name}.{prop}"
    assert checked >= 20


def test_every_request_body_has_an_example_the_gateway_accepts_as_valid(
    document: dict[str, Any],
) -> None:
    """Each JSON request schema carries an example that validates against its own model."""
    for method, path, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        schema = content["application/json"]["schema"]
        # An optional body (`X | None`): the model is the variant that is not null.
        schema = next((v for v in schema.get("anyOf", []) if "$ref" in v), schema)
        ref = schema["$ref"].rsplit("/", 1)[1]
        examples = document["components"]["schemas"][ref].get("examples")
        assert examples, f"{method} {path}: {ref} has no example"
        model = (
            getattr(schemas, ref, None)
            or getattr(schemas_people, ref, None)
            or getattr(draft_schemas, ref, None)
            or getattr(schemas_pricing, ref, None)
            or getattr(schemas_batch, ref, None)
            or getattr(schemas_policy, ref, None)
            or getattr(schemas_setoff, ref, None)
            or getattr(policy, ref)
        )
        for example in examples:
            model.model_validate_json(json.dumps(example))


def test_the_documented_values_are_those_their_owners_write() -> None:
    from scfledger.db.models import OperationStatus
    from scfledger.indexer.projector import MODES, PIECE_STATES
    from scfledger.indexer.reconcile import MEMBER_STATUS, RECEIVABLE_STATUS, REQUEST_STATUS

    assert fields.PIECE_STATES == PIECE_STATES
    assert fields.RECEIVABLE_STATUSES == RECEIVABLE_STATUS
    assert fields.REQUEST_STATUSES == REQUEST_STATUS
    assert fields.MEMBER_STATUSES == MEMBER_STATUS
    assert fields.MODES == MODES
    assert tuple(OperationStatus) == fields.OPERATION_STATUSES


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_docs_loads_every_asset_from_the_gateway(api: Served) -> None:
    page = httpx.get(f"{api.url}/docs", timeout=60)
    assert page.status_code == 200
    parser = _Assets()
    parser.feed(page.text)
    # The page's script names the document it loads; Swagger UI fetches it from there.
    urls = parser.urls + re.findall(r"url: ?'([^']+)'", page.text)
    assert len(urls) >= 4, urls
    assert "/openapi.json" in urls
    host = urlsplit(api.url).netloc
    for url in urls:
        absolute = urljoin(f"{api.url}/docs", url)
        assert urlsplit(absolute).netloc == host, f"/docs loads {url} from another host"
        response = httpx.get(absolute, timeout=60)
        assert response.status_code == 200, url
        assert response.content, url
    assert "cdn" not in page.text.lower()


def test_docs_serves_swagger_ui_5_and_nothing_else_of_its_package(api: Served) -> None:
    # Swagger UI 4 shows an OpenAPI 3.1 document (FastAPI's) as an error: 5 reads it.
    package = json.loads((swagger_ui.ASSETS_DIR / "package.json").read_text())
    assert package["version"].split(".")[0] == "5"
    bundle = httpx.get(f"{api.url}{swagger_ui.ASSETS_PATH}/swagger-ui-bundle.js", timeout=60)
    assert bundle.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    for name in ("index.html", "package.json", "swagger-ui-bundle.js.map", "../package.json"):
        response = httpx.get(f"{api.url}{swagger_ui.ASSETS_PATH}/{name}", timeout=60)
        assert response.status_code == 404, name
