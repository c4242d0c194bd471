"""Dates of response bodies: Unix seconds, each with its ISO 8601 sibling `<name>_iso`.

A response model derived from `Dated` answers, beside every field typed `UnixSeconds`, the
same instant as ISO 8601 in UTC with its offset (`due_date: 1798761600` and
`due_date_iso: "2027-01-01T00:00:00+00:00"`; null where the field is null). The siblings are
pydantic computed fields: serialized with the model and listed (read-only, required) in the
OpenAPI document, so the SDKs type them too. Nobody writes them by hand: the field's type
is what makes one.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, Field, computed_field

from scfledger.chain.clock import iso8601


class _UnixSecondsMarker:
    """Marks the `UnixSeconds` type in an annotation that is not a string."""


UNIX_SECONDS = _UnixSecondsMarker()
UnixSeconds = Annotated[int, Field(description="Unix seconds (UTC)"), UNIX_SECONDS]
ISO_SUFFIX = "_iso"

# A postponed annotation (`from __future__ import annotations`) names the type.
_NAMED = re.compile(r"\bUnixSeconds\b")


def _kind(annotation: Any) -> tuple[bool, bool]:
    """Whether `annotation` is UnixSeconds, and whether it may be None."""
    if isinstance(annotation, str):
        return bool(_NAMED.search(annotation)), bool(re.search(r"\bNone\b", annotation))
    if UNIX_SECONDS in getattr(annotation, "__metadata__", ()):
        return True, False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        parts = typing.get_args(annotation)
        unix = any(_kind(part)[0] for part in parts)
        return unix, type(None) in parts
    return False, False


def _sibling(name: str, optional: bool) -> Any:
    def iso(model: Any) -> str | None:
        seconds = getattr(model, name)
        return None if seconds is None else iso8601(seconds)

    return computed_field(  # type: ignore[call-overload]
        property(iso),
        return_type=str | None if optional else str,
        description=f"`{name}` as ISO 8601 in UTC with its offset (+00:00)",
        examples=["2027-01-01T00:00:00+00:00"],
    )


class Dated(BaseModel):
    """A response body whose `UnixSeconds` fields each get an ISO 8601 sibling."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Before pydantic collects the class's fields and computed fields (it does so after
        # this hook), so the siblings are the class's own computed fields.
        super().__init_subclass__(**kwargs)
        for name, annotation in inspect.get_annotations(cls).items():
            unix, optional = _kind(annotation)
            if unix:
                setattr(cls, name + ISO_SUFFIX, _sibling(name, optional))
