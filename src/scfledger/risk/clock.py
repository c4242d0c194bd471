"""The one clock of risk views and portfolio reports: the chain's time as the index stands.

"Now" is the timestamp of the last indexed block (the node's latest block while nothing is
indexed yet), never a machine's wall clock: a piece is past due when the chain's time is
past its due date, as the contracts judge it, and `scf dev advance-time` moves every view
of it at once (the aging report, the risk indicators, the API's `/v1/chain/time`).
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web3 import Web3

from scfledger.chain.clock import block_time
from scfledger.db.projections import IndexerCheckpoint


def indexed_block(session: Session) -> int | None:
    """The last block whose events are all in the read model (None: nothing indexed)."""
    return session.scalar(select(func.max(IndexerCheckpoint.block_number)))


class IndexClock:
    """The chain's time as the index stands, asked of the node once per checkpoint: a read
    costs database queries only and judges the state it reads as of that state's time."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._lock = threading.Lock()
        self._known: tuple[int, int] | None = None  # (block number, its timestamp)

    def now(self, session: Session) -> int:
        """Unix seconds: the timestamp of the checkpoint's block, or of the node's latest
        block while nothing is indexed."""
        number = indexed_block(session)
        if number is None:
            return block_time(self._w3).timestamp
        with self._lock:
            known = self._known
        if known is not None and known[0] == number:
            return known[1]
        timestamp = block_time(self._w3, number).timestamp
        with self._lock:
            self._known = (number, timestamp)
        return timestamp
