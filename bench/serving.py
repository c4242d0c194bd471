"""The gateway an API benchmark drives: served over anvil in a temporary directory, on SQLite
or PostgreSQL, with the benchmark's own consortium; and its participants' key store."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scfledger.keys.store import KeyStore
from tests.support.postgres import postgres_server
from tests.support.served import PASSPHRASE, Served, served_gateway, served_process


@contextmanager
def database(directory: Path, postgres: bool) -> Iterator[str]:
    """A fresh database's URL: SQLite in `directory`, or a throwaway PostgreSQL server."""
    if not postgres:
        yield f"sqlite:///{directory / 'gateway.sqlite3'}"
        return
    with postgres_server() as server:
        yield server.create_database()


@contextmanager
def served(
    name: str, members: dict[str, int], *, postgres: bool, workers: int = 1
) -> Iterator[tuple[Served, KeyStore]]:
    """The gateway serving `members` (name: roles), in this process or, with `workers` > 1,
    by `scf serve --workers N`; and the store of the members' keys (to sign raw sends)."""
    with tempfile.TemporaryDirectory(prefix=f"scf-bench-{name}-") as tmp:
        directory = Path(tmp)
        with (
            database(directory, postgres) as url,
            (
                served_process(directory, url, members, workers=workers)
                if workers > 1
                else served_gateway(directory, url, members)
            ) as api,
        ):
            yield api, KeyStore(directory / "keys", PASSPHRASE, scrypt_n=2**10)
