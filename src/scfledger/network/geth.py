"""go-ethereum on this machine: the pinned binary, a node's keys, its process, one JSON-RPC
call."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_keys.datatypes import PrivateKey
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from scfledger.exceptions import ChainError

GETH_VERSION = "1.13.15"
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TEMPLATE = REPO_ROOT / "chain-config" / "clique" / "genesis.template.json"


class CliqueNetworkError(ChainError):
    """A Clique network could not be created, started, stopped or queried."""


def geth_binary() -> Path:
    """The geth to run: $SCF_GETH, else the one scripts/build-geth.sh builds, built on first
    use in a source checkout (about 90 s), so that setting up for the dev chain alone
    (`make run`) does not build it."""
    path = Path(os.environ.get("SCF_GETH") or REPO_ROOT / ".tools" / "bin" / "geth")
    build = REPO_ROOT / "scripts" / "build-geth.sh"
    if not os.access(path, os.X_OK) and "SCF_GETH" not in os.environ and build.is_file():
        # Its progress goes to stderr; a failure leaves no binary and is reported below.
        subprocess.run([str(build)], stdout=2, check=False)  # noqa: S603 - fixed path
    if not os.access(path, os.X_OK):
        raise CliqueNetworkError(
            f"geth not found at {path}: run scripts/build-geth.sh to build geth "
            f"{GETH_VERSION} (or set SCF_GETH)"
        )
    return path


def rpc_call(url: str, method: str, params: list[Any] | None = None, timeout: float = 2.0) -> Any:
    """One JSON-RPC call; raises OSError when the node does not answer."""
    if not url.startswith(("http://", "https://")):
        raise CliqueNetworkError(f"not an HTTP JSON-RPC URL: {url}")
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    # S310 guards against file:/custom schemes, which the check above excludes.
    request = urllib.request.Request(  # noqa: S310
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        reply = json.load(response)
    if "error" in reply:
        raise CliqueNetworkError(f"{method} failed: {reply['error'].get('message')}")
    return reply["result"]


def create_sealer_key(node_dir: Path) -> ChecksumAddress:
    """A fresh sealer key in a node's data directory, saved only as an encrypted keystore
    plus its passphrase."""
    (node_dir / "keystore").mkdir(parents=True, exist_ok=True)
    account = Account.create()
    password = secrets.token_urlsafe(32)
    write_secret(node_dir / "password.txt", password + "\n")
    # Light scrypt (geth's --lightkdf strength): the passphrase lies next to the
    # keystore anyway, and the standard cost would make every node start seconds slower.
    keystore = Account.encrypt(account.key, password, kdf="scrypt", iterations=1 << 12)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    name = f"UTC--{stamp}--{account.address[2:].lower()}"
    write_secret(node_dir / "keystore" / name, json.dumps(keystore))
    return to_checksum_address(account.address)


def create_node_key(node_dir: Path) -> str:
    """A fresh p2p identity in a node's data directory; returns its public node id (hex)."""
    private = PrivateKey(secrets.token_bytes(32))
    key_dir = node_dir / "geth"
    key_dir.mkdir(parents=True, exist_ok=True)
    write_secret(key_dir / "nodekey", private.to_hex()[2:])
    return str(private.public_key.to_hex()[2:])


def write_secret(path: Path, text: str) -> None:
    """Create a file readable by its owner only, without a window where it is wider."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def process_start(pid: int) -> int | None:
    """When process `pid` started (clock ticks after boot), or None once it has exited
    (gone, or a zombie). Outside Linux: 0 while the pid exists. Two readings that differ
    mean the pid now names another process."""
    if not Path("/proc").is_dir():
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return 0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # from field 3 (the state) on
    return None if fields[0] == "Z" else int(fields[19])  # field 22: starttime


def is_geth_of(pid: int, node_dir: Path) -> bool:
    """Whether pid is alive and is the geth of node_dir (pid files can outlive processes
    and pids get reused)."""
    if not Path("/proc").is_dir():  # not Linux: trust the pid file
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # A zombie has exited already; only its parent has not reaped it yet.
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state != "Z" and str(node_dir).encode() in cmdline
