"""What time it is: the chain's latest block, the index's time and the gateway's clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from web3 import Web3

from scfledger.chain.clock import BlockTime, block_time
from scfledger.risk.clock import IndexClock, indexed_block


@dataclass(frozen=True)
class Times:
    latest: BlockTime  # the node's latest block
    indexed: BlockTime | None  # the last indexed block: risk's and the reports' clock
    gateway: int  # the gateway's wall clock, Unix seconds


def chain_times(
    *, w3: Web3, session: Session, clock: IndexClock, wall_clock: Callable[[], datetime]
) -> Times:
    """The chain's time beside the gateway's: the node's latest block, the last indexed
    block (None while nothing is indexed) and the wall clock, all in Unix seconds. Raises
    ChainUnavailable when the node does not answer."""
    gateway = int(wall_clock().timestamp())
    latest = block_time(w3)
    number = indexed_block(session)
    indexed = None if number is None else BlockTime(number, clock.now(session))
    return Times(latest=latest, indexed=indexed, gateway=gateway)
