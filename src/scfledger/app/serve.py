"""Serves the gateway with uvicorn on 127.0.0.1: in this process, or in worker processes
that each build their own gateway from the same Settings (handed to them by uvicorn's
supervisor, not through the environment)."""

from __future__ import annotations

import contextlib
import functools
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from scfledger.api.app import ready_to_serve
from scfledger.app.compose import build_app
from scfledger.app.worker import worker_app
from scfledger.config import Settings

HOST = "127.0.0.1"
# uvicorn kills a worker that does not answer its supervisor's ping within this time, and
# a spawned worker answers only once it has imported the gateway: with its 5 s default a
# loaded machine restarts workers for ever and never serves.
WORKER_HEALTHCHECK_SECONDS = 60


def serve(settings: Settings, *, port: int, workers: int = 1) -> None:
    """Serves the API of `settings` until interrupted, in this process or in `workers`
    processes (this one then builds the app only to refuse bad settings before any worker
    starts). Raises ScfError for settings the gateway refuses, OSError if the port cannot
    be bound."""
    app = build_app(settings)
    if workers == 1:
        ready_to_serve(app)
        uvicorn.run(app, host=HOST, port=port, log_level="warning")
        return
    app.state.gateway.engine.dispose()  # the workers open their own connections
    config = uvicorn.Config(
        # Pickled to each spawned worker, settings included (secrets stay off the environment).
        functools.partial(worker_app, settings),
        factory=True,
        workers=workers,
        host=HOST,
        port=port,
        log_level="warning",
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    # What uvicorn.run does with workers, but on a listener whose connections get TCP_NODELAY.
    listener = tcp_listener(config.host, config.port)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[listener]).run()


def tcp_listener(host: str, port: int) -> socket.socket:
    """The listening socket handed to worker processes, bound as uvicorn binds its own but
    created with proto IPPROTO_TCP. Accepted sockets inherit the listener's proto, and
    asyncio turns Nagle's algorithm off (TCP_NODELAY) only on IPPROTO_TCP sockets: on
    uvicorn's listener (proto 0) every keep-alive response waits ~40 ms for the client's
    delayed ACK (uvicorn#3149)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
