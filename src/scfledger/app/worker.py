"""The app factory a uvicorn worker process is handed: importable without the gateway.

uvicorn's supervisor kills a worker that does not answer its pings in time, and a spawned
worker answers only once what it was handed is unpickled: this module imports nothing but
the settings, so the gateway's heavy imports happen after the worker answers, in
`worker_app` (as when uvicorn imports an app by its name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from scfledger.config import Settings


def worker_app(settings: Settings) -> FastAPI:
    """The app of one worker process: its own gateway, sharing the database with the others
    (nonces, webhooks and indexing are safe across processes)."""
    from scfledger.api.app import ready_to_serve
    from scfledger.app.compose import build_app

    app = build_app(settings)
    ready_to_serve(app)
    return app
