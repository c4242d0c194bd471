"""`FastJSONResponse` writes the same bytes as Starlette's `JSONResponse`, whichever encoder
wrote them (orjson, or the standard library for what orjson refuses)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from hypothesis import given
from hypothesis import strategies as st

from scfledger.api.fast_json import FastJSONResponse

# What the routes that use it write: JSON values without floats (amounts are text).
_SCALARS = st.none() | st.booleans() | st.integers() | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_VALUES)
def test_the_bytes_are_json_responses(value: Any) -> None:
    assert FastJSONResponse(value).body == JSONResponse(value).body


def test_integers_beyond_64_bits_are_written_by_the_standard_library() -> None:
    # A uint256 in an event's arguments: orjson refuses it, the answer still carries it.
    page = {"items": [{"args": {"amount": 2**255 + 1, "memo": "货款"}}], "next_cursor": "7"}
    response = FastJSONResponse(page)
    assert response.body == JSONResponse(page).body
    assert str(2**255 + 1).encode() in response.body
    assert response.media_type == "application/json"
