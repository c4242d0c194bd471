"""Who hears that operations moved: this process's waiters, its listeners, and a memory of
the operations this process saw finish (mined or failed)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

FINISHED_MEMORY = 100_000  # operation ids remembered as finished by this process


class Progress:
    """Wakes waiters and listeners when operations move; remembers which finished here."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        # Operations this process saw leave `submitted` (mined or failed), newest last, for
        # waiters that want to know without reading the database.
        self._finished: OrderedDict[str, None] = OrderedDict()
        self.listeners: list[Callable[[], None]] = []

    def finished(self, operation_ids: Iterable[str]) -> None:
        """Operations that this process saw mined or failed; tells everyone."""
        with self._changed:
            for operation_id in operation_ids:
                self._finished[operation_id] = None
            while len(self._finished) > FINISHED_MEMORY:
                self._finished.popitem(last=False)
        self.notify()

    def finished_here(self, operation_id: str) -> bool:
        """This process saw the operation mined or failed (recently: the memory keeps the
        last FINISHED_MEMORY). False says nothing: ask the database."""
        return operation_id in self._finished

    def notify(self) -> None:
        """Wakes this process's waiters and tells the listeners that operations moved."""
        with self._changed:
            self._changed.notify_all()
        for listener in self.listeners:
            listener()

    def wait(self, timeout: float) -> None:
        """Sleeps until operations move or `timeout` seconds pass."""
        with self._changed:
            self._changed.wait(timeout)

    def wake(self) -> None:
        """Wakes the waiters only (the pipeline is stopping)."""
        with self._changed:
            self._changed.notify_all()
