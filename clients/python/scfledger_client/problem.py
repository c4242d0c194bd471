"""`ApiProblem`: an RFC 9457 problem answered by the gateway, raised by the clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from scfledger_client.models import OperationOut


class ApiProblem(Exception):
    """An RFC 9457 problem answered by the gateway; `extensions` holds every other member
    (`errors` of a validation problem, `error` and `operation` of a refused write)."""

    def __init__(
        self,
        *,
        type: str,
        status: int,
        title: str,
        detail: str,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        self.type = type
        self.status = status
        self.title = title
        self.detail = detail
        self.extensions: dict[str, Any] = dict(extensions or {})
        super().__init__(f"{status} {title}: {detail} ({type})")

    @property
    def slug(self) -> str:
        """The last segment of `type`: `duplicate-document`, `forbidden`, ..."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]

    @property
    def operation(self) -> OperationOut | None:
        """The failed operation of a write the chain refused, if the gateway named one."""
        body = self.extensions.get("operation")
        return None if body is None else OperationOut.model_validate(body)

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        """The problem of an error answer; a non-problem body becomes an `about:blank` one."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return cls(
                type="about:blank",
                status=response.status_code,
                title=response.reason_phrase or "HTTP error",
                detail=response.text[:500],
            )
        known = {"type", "status", "title", "detail"}
        return cls(
            type=str(body.get("type", "about:blank")),
            status=int(body.get("status", response.status_code)),
            title=str(body.get("title", response.reason_phrase)),
            detail=str(body.get("detail", "")),
            extensions={k: v for k, v in body.items() if k not in known},
        )
