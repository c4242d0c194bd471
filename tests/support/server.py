"""An ASGI app served by uvicorn in a thread of the test process, on a free loopback port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from scfledger.network.anvil import free_port
from tests.support.waiting import eventually


@contextmanager
def serving(app: ASGIApp, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serves `app` until the block ends; yields its base URL (`http://host:port`)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()

    def started() -> bool:
        assert thread.is_alive(), "uvicorn exited"
        return server.started

    eventually(started, what="uvicorn to start", timeout=30, interval=0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
