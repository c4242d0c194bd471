"""Talking to a served gateway in tests: writes with an idempotency key, events of an
operation, RFC 9457 problems."""

from __future__ import annotations

from typing import Any

import httpx

from scfledger.chain.clock import iso8601
from scfledger.money import format_amount, parse_amount

PROBLEM = "https://scfledger.dev/problems/"  # the prefix of every problem type


def cny(fen: int) -> str:
    """Fen as the API writes CNY: `cny(100_000_000)` is "1000000.00"."""
    return format_amount(fen, "CNY")


def answered(terms: dict[str, Any]) -> dict[str, Any]:
    """Terms as a response shows them: with `fund_by_iso` beside `fund_by` (api.dates)."""
    return {**terms, "fund_by_iso": iso8601(terms["fund_by"])}


def fen(text: str) -> int:
    """A CNY amount the API answered, in fen: `fen("1000000.00")` is 100000000."""
    return parse_amount(text, "CNY", allow_zero=True)


def write(
    client: httpx.Client, path: str, key: str, body: Any = None, *, wait: bool = True
) -> httpx.Response:
    """POSTs a write under idempotency key `key`, waiting (by default) until it is indexed."""
    params = {"wait": "indexed"} if wait else {}
    return client.post(path, json=body, headers={"Idempotency-Key": key}, params=params)


def event(op: dict[str, Any], name: str) -> dict[str, Any]:
    """The arguments of the operation's first event called `name`."""
    return next(e["args"] for e in op["events"] if e["name"] == name)


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """Asserts the response is the problem `slug` with `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM + slug
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body
