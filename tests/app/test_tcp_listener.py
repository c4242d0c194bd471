"""The listener `scf serve --workers N` hands its worker processes: connections accepted in
a worker have Nagle's algorithm off (TCP_NODELAY), unlike on uvicorn's own listener, where
each keep-alive response waited ~40 ms for the client's delayed ACK (uvicorn#3149)."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from multiprocessing.queues import Queue

import uvicorn

from scfledger.app.serve import tcp_listener
from scfledger.network.anvil import free_port
from tests.support.nodelay import accept_once, report_nodelay
from tests.support.waiting import eventually

HOST = "127.0.0.1"


def test_worker_listener_gives_accepted_connections_tcp_nodelay() -> None:
    port = free_port()
    ours = tcp_listener(HOST, port)
    # As uvicorn's supervisor does: the socket goes to a spawned worker process.
    spawn = multiprocessing.get_context("spawn")
    answers: Queue[int] = spawn.Queue()
    worker = spawn.Process(target=report_nodelay, args=(ours, answers))
    worker.start()
    try:
        with _connect_when_listening(port):
            assert answers.get(timeout=30) != 0
    finally:
        worker.join(30)
        ours.close()
    assert worker.exitcode == 0


def test_uvicorns_own_worker_listener_leaves_nagle_on() -> None:
    """Why `tcp_listener` exists; when this fails, uvicorn has fixed #3149 upstream."""
    config = uvicorn.Config(app="unused:app", host=HOST, port=free_port())
    theirs = config.bind_socket()
    try:
        assert asyncio.run(accept_once(theirs, connect=True)) == 0
    finally:
        theirs.close()


def _connect_when_listening(port: int) -> socket.socket:
    """A connection to the worker, once it listens (it starts a Python interpreter first)."""

    def connected() -> socket.socket | None:
        try:
            return socket.create_connection((HOST, port), timeout=5)
        except ConnectionRefusedError:
            return None

    return eventually(connected, what="the worker to listen")
