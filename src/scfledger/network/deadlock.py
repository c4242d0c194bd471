"""Find and break a Clique sealing deadlock (go-ethereum#18402).

Clique lets a signer seal at most one of any ``len(signers) // 2 + 1`` consecutive blocks.
When the nodes sit on rival branches of equal total difficulty, the signers allowed to
extend one branch can all be on the other: nobody may seal, no peer offers a heavier
chain to sync, and the network stops for good. geth 1.13 has no fork-choice rule that
settles it (EIP-3436 was never implemented there); operators rewind the nodes below the
fork with ``debug_setHead``. `break_deadlock` does that, and sends the transactions of
the discarded blocks again, because geth drops them from its pool on a rewind.
`StallGuard` watches a network and breaks a deadlock when it sees one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from scfledger.network.clique import CliqueNetwork
from scfledger.network.geth import CliqueNetworkError, rpc_call

log = logging.getLogger(__name__)

# A rival branch deeper than this is a partition, not a sealing deadlock; geth's pool also
# stops moving transactions between branches beyond 64 blocks.
MAX_REWIND = 64
# Clique delays an out-of-turn seal by up to this per half of the signers (geth's wiggleTime).
WIGGLE_SECONDS = 0.5


@dataclass(frozen=True)
class Head:
    node: int
    number: int
    hash: str


@dataclass(frozen=True)
class Recovery:
    """What `break_deadlock` did."""

    heads: tuple[Head, ...]  # every running node's head, rival branches among them
    fork_block: int  # the newest block of every rival branch: nodes above it now stand on it
    resent: int  # transactions of the discarded blocks sent again


def running_heads(network: CliqueNetwork) -> list[Head]:
    """The head of every node that answers."""
    heads = []
    for i in range(network.nodes):
        if network.pid(i) is None:
            continue
        try:
            block = rpc_call(network.rpc_url(i), "eth_getBlockByNumber", ["latest", False])
        except (OSError, ValueError, CliqueNetworkError):
            continue
        heads.append(Head(i, int(block["number"], 16), block["hash"]))
    return heads


def break_deadlock(network: CliqueNetwork) -> Recovery | None:
    """Rewind the running nodes above the block where rival branches part, send the
    discarded blocks' transactions again and let the nodes seal from there; None (and
    nothing done) when the nodes are on one branch, however far behind some are.

    Every rewound node restarts from the same block with the same view, as at a network's
    first start, so no node has to sync a rival branch first. The miners are stopped
    meanwhile, so no block is sealed on a head that is about to be rewound.
    """
    heads = running_heads(network)
    if len(rival_tips(network, heads)) < 2:
        return None
    urls = [network.rpc_url(h.node) for h in heads]
    for url in urls:
        rpc_call(url, "miner_stop")
    try:
        # miner_stop does not recall a seal already under way: it lands within one slot.
        time.sleep(longest_seal_delay(network))
        heads = running_heads(network)
        tips = rival_tips(network, heads)
        if len(tips) < 2:
            return None
        fork = _fork_block(network, tips)
        rewound = [h for h in heads if h.number > fork]
        raw_transactions = _transactions_above(network, rewound, fork)
        for head in rewound:
            rpc_call(network.rpc_url(head.node), "debug_setHead", [hex(fork)])
        resent = _send_again(urls, raw_transactions)
    finally:
        for url in urls:
            try:
                rpc_call(url, "miner_start")
            except (OSError, CliqueNetworkError) as exc:
                log.warning("could not restart sealing on %s: %s", url, exc)
    log.warning(
        "Clique deadlock: rival heads %s; nodes %s rewound to block %d, %d transactions resent",
        ", ".join(f"{h.number}:{h.hash[:10]}" for h in tips),
        ", ".join(str(h.node) for h in rewound),
        fork,
        resent,
    )
    return Recovery(tuple(heads), fork, resent)


def rival_tips(network: CliqueNetwork, heads: list[Head]) -> list[Head]:
    """The heads no other node's chain contains, one per branch: two or more mean rival
    branches. A node that is merely behind (its head is on another node's chain) adds none."""
    tips: list[Head] = []
    for head in heads:
        behind = any(
            other.number > head.number
            and _block(network, other.node, head.number)["hash"] == head.hash
            for other in heads
        )
        if not behind and all(tip.hash != head.hash for tip in tips):
            tips.append(head)
    return tips


def _fork_block(network: CliqueNetwork, heads: list[Head]) -> int:
    lowest = min(h.number for h in heads)
    for number in range(lowest, max(lowest - MAX_REWIND, 0) - 1, -1):
        hashes = {_block(network, h.node, number)["hash"] for h in heads}
        if len(hashes) == 1:
            return number
    raise CliqueNetworkError(
        f"nodes disagree on every block from {lowest} down {MAX_REWIND}: a partition, "
        "not a sealing deadlock; not rewinding"
    )


def _transactions_above(network: CliqueNetwork, heads: list[Head], fork: int) -> list[str]:
    """Raw transactions of every block above `fork` on any node, in nonce order per sender."""
    found: dict[str, tuple[str, int, str]] = {}  # hash -> (sender, nonce, raw)
    for head in heads:
        url = network.rpc_url(head.node)
        for number in range(fork + 1, head.number + 1):
            for tx in _block(network, head.node, number, full=True)["transactions"]:
                if tx["hash"] not in found:
                    raw = rpc_call(url, "eth_getRawTransactionByHash", [tx["hash"]])
                    found[tx["hash"]] = (tx["from"].lower(), int(tx["nonce"], 16), raw)
    return [raw for _, _, raw in sorted(found.values())]


def _send_again(urls: list[str], raw_transactions: list[str]) -> int:
    """Offer each transaction to every node (a rewind emptied some pools and not others);
    returns how many at least one node took. Refusals are expected: "already known", or a
    nonce that a transaction of the other branch takes."""
    taken = 0
    for raw in raw_transactions:
        accepted = False
        for url in urls:
            try:
                rpc_call(url, "eth_sendRawTransaction", [raw])
                accepted = True
            except CliqueNetworkError as exc:
                log.debug("resend refused by %s: %s", url, exc)
        taken += accepted
    return taken


def _block(network: CliqueNetwork, node: int, number: int, *, full: bool = False) -> Any:
    block = rpc_call(network.rpc_url(node), "eth_getBlockByNumber", [hex(number), full])
    if block is None:
        raise CliqueNetworkError(f"node {node} has no block {number}")
    return block


class StallGuard:
    """Watch a network from a background thread; when no node's head has moved for
    `stall_after` seconds and the nodes are on rival heads, break the deadlock.

    A stall on one branch (one head, or nodes merely behind on it) is left alone: too few
    signers are running or peered, which a rewind cannot fix. Use as a context manager or
    call `start`/`stop`.
    """

    def __init__(
        self,
        network: CliqueNetwork,
        *,
        stall_after: float | None = None,
        poll: float = 1.0,
        on_recovery: Callable[[Recovery], None] | None = None,
    ) -> None:
        self.network = network
        self.stall_after = stall_after or default_stall_after(network)
        self.poll = poll
        self.on_recovery = on_recovery
        self.recoveries: list[Recovery] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clique-stall-guard", daemon=True)

    def start(self) -> StallGuard:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> StallGuard:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        seen: frozenset[Head] = frozenset()
        since = time.monotonic()
        while not self._stop.wait(self.poll):
            heads = frozenset(running_heads(self.network))
            if heads != seen:
                seen, since = heads, time.monotonic()
            if time.monotonic() - since < self.stall_after or len({h.hash for h in heads}) <= 1:
                continue  # moving, or all on one head (too few signers: not for a rewind)
            try:
                recovery = break_deadlock(self.network)
            except (OSError, ValueError, KeyError, CliqueNetworkError) as exc:
                # A node going down mid-way, say; the next stall brings another attempt.
                log.warning("could not break a Clique deadlock: %s", exc)
                recovery = None
            since = time.monotonic()
            if recovery is not None:
                self.recoveries.append(recovery)
                if self.on_recovery is not None:
                    self.on_recovery(recovery)


def longest_seal_delay(network: CliqueNetwork) -> float:
    """One block slot: the period plus Clique's longest out-of-turn delay."""
    return network.period + (network.nodes // 2 + 1) * WIGGLE_SECONDS


def default_stall_after(network: CliqueNetwork) -> float:
    """Four block slots."""
    return 4 * longest_seal_delay(network)
