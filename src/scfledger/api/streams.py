"""Counts the event streams each API key holds open in this process, up to a limit."""

from __future__ import annotations

import threading

from scfledger.exceptions import TooManyStreams


class StreamSlot:
    """One open stream of one key; released once, by the stream's end or, should the
    stream never start (the client left before its first byte), when it is dropped."""

    def __init__(self, slots: StreamSlots, key_id: str) -> None:
        self._slots: StreamSlots | None = slots
        self._key_id = key_id

    def release(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots._release(self._key_id)

    def __del__(self) -> None:
        self.release()


class StreamSlots:
    """Open streams per API key id. Per process: with N worker processes a key may hold
    up to N times the limit."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, key_id: str, limit: int) -> StreamSlot:
        """A slot for one more stream of `key_id`, or TooManyStreams at `limit`."""
        with self._lock:
            count = self._open.get(key_id, 0)
            if count >= limit:
                raise TooManyStreams(limit=limit)
            self._open[key_id] = count + 1
        return StreamSlot(self, key_id)

    def open_streams(self, key_id: str) -> int:
        with self._lock:
            return self._open.get(key_id, 0)

    def _release(self, key_id: str) -> None:
        with self._lock:
            count = self._open.pop(key_id, 0) - 1
            if count > 0:
                self._open[key_id] = count
