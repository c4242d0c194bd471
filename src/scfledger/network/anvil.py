"""Start a throwaway anvil dev node from the npm package (tests and benchmarks)."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scfledger.network.geth import REPO_ROOT, CliqueNetworkError

ANVIL = REPO_ROOT / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
# Below Linux's ephemeral range (32768+), so outgoing connections cannot take the port.
PORT_RANGE = (20000, 32000)


@contextmanager
def anvil_node(*extra_args: str, chain_id: int = 31337, binary: Path = ANVIL) -> Iterator[str]:
    """A running anvil on a free loopback port with the `paris` EVM (the artifacts' target,
    and the last fork geth Clique runs); yields its JSON-RPC URL and stops it on exit."""
    if not binary.is_file():
        raise CliqueNetworkError(f"anvil not found at {binary}; `npm ci` installs it")
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--hardfork", "paris",
         "--chain-id", str(chain_id), "--silent", *extra_args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_rpc(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def _wait_for_rpc(url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise CliqueNetworkError(f"anvil exited with {proc.returncode}: {err[-2000:]}")
        with contextlib.suppress(OSError):
            request = urllib.request.Request(  # noqa: S310 - http URL built above
                url, data=body.encode(), headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=1):  # noqa: S310
                return
        time.sleep(0.1)
    raise CliqueNetworkError(f"anvil at {url} did not answer within {timeout:.0f} s")


def free_port(span: int = 1) -> int:
    """A port p such that p .. p+span-1 are free on loopback."""
    for _ in range(50):
        port = random.randrange(PORT_RANGE[0], PORT_RANGE[1] - span)  # noqa: S311
        if all(port_free(port + i) for i in range(span)):
            return port
    raise CliqueNetworkError("no free loopback port found")


def port_free(port: int) -> bool:
    """Nothing listens on `port` of the loopback interface (it can be bound now)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
