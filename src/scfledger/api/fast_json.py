"""`FastJSONResponse`: a JSON answer encoded by orjson, for a route that writes a large
document of plain JSON values itself (the events feed's pages).

orjson encodes a feed page about ten times faster than the standard library, and the bytes
are the same JSON (UTF-8, no spaces). What orjson refuses, integers beyond 64 bits (a
`uint256` in an event's arguments can be one) or keys that are not strings, is encoded by
the standard library instead, as `JSONResponse` would: the answer never depends on which
encoder wrote it.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:
            return super().render(content)
