"""Waiting in tests: poll a check until it holds, or fail saying what was awaited.

A timeout here bounds the wait so that a broken test fails instead of hanging; it is never
an assertion on how long something takes (that belongs in bench/).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T | Literal[False] | None],
    *,
    what: str | Callable[[], str],
    timeout: float = 30.0,
    interval: float = 0.05,
) -> T:
    """Calls `check` every `interval` seconds until it returns something other than None
    or False, and returns that. After `timeout` seconds, raises an AssertionError saying
    what it waited for (`what`, or `what()` for a message built at that moment) and the
    check's last answer. An exception from `check` (say, an assertion that a process is
    still alive) ends the wait at once."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            said = what if isinstance(what, str) else what()
            raise AssertionError(f"waited {timeout:g} s for {said} (last: {value!r})")
        time.sleep(interval)
