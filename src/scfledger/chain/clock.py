"""The chain's clock: block timestamps as the node answers them (Unix seconds, UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from web3 import Web3


@dataclass(frozen=True)
class BlockTime:
    """A block and the time its producer stamped on it."""

    number: int
    timestamp: int  # Unix seconds


def block_time(w3: Web3, block: int | Literal["latest"] = "latest") -> BlockTime:
    """The number and timestamp of `block` (by default the node's latest)."""
    found = w3.eth.get_block(block)
    return BlockTime(number=int(found["number"]), timestamp=int(found["timestamp"]))


def iso8601(seconds: int) -> str:
    """Unix seconds as ISO 8601 with its offset, in UTC: `2026-11-26T07:00:00+00:00`."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()
