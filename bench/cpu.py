"""CPU time used by a process and its descendants, read from Linux's /proc: what a read
costs the server and the database, a far steadier figure than a latency percentile on a
machine whose cores the clients share."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (which may hold spaces), or
    None for a process that has ended."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rpartition(")")[2].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_cpu(root: int, *, descendants: bool = True) -> float:
    """Seconds of CPU (user and system) used so far by `root` and, unless told not to,
    by every live process under it."""
    pids = [root]
    if descendants:
        tree = _children()
        pending = [root]
        while pending:
            below = tree.get(pending.pop(), [])
            pids += below
            pending += below
    total = 0
    for pid in pids:
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postmaster(port: int) -> int | None:
    """The PostgreSQL server listening on `port`, by its command line (`-p PORT`, as
    `tests.support.postgres` starts it), or None."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if argv and argv[0].endswith(b"postgres") and b"-p" in argv:
            at = argv.index(b"-p")
            if at + 1 < len(argv) and argv[at + 1] == str(port).encode():
                return int(entry.name)
    return None
