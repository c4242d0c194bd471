"""Requests awaiting an operation's progress, woken from the pipeline's and the indexer's
threads: waiting holds no worker thread, so health checks answer while hundreds wait."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable


class Progress:
    """A condition variable for coroutines, notified from any thread.

    `notify()` (from the pipeline's or the indexer's thread) schedules the wake-up on the
    event loop the waiters run on, with `loop.call_soon_threadsafe`; each wake-up sets
    the event of the current generation and starts a new one, so every coroutine waiting
    then re-checks its condition once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self.waiting = 0  # coroutines in wait() now (read by tests and metrics)

    def notify(self) -> None:
        """Wakes every waiter to re-check its condition; safe from any thread."""
        with self._lock:
            loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: no waiter left
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = asyncio.Event()

    def _generation(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is not loop or self._event is None:
                # First waiter on this loop (a test client may run the app on another one).
                self._loop, self._event = loop, asyncio.Event()
            return self._event

    async def wait(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Waits until `ready()` (checked at each notification), at most `timeout` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.waiting += 1
        try:
            while True:
                event = self._generation()
                if ready():
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            self.waiting -= 1
