"""The response body of `GET /v1/chain/time`."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from scfledger.api.dates import Dated, UnixSeconds


class ChainTimeOut(Dated):
    """The chain's clock beside the gateway's. Due dates, deadlines and the overdue state
    are judged on the chain's clock (block timestamps), never on a computer's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "block_number": 1234,
                    "block_timestamp": 1_795_676_400,
                    "block_timestamp_iso": "2026-11-26T07:00:00+00:00",
                    "gateway_time": 1_795_676_398,
                    "gateway_time_iso": "2026-11-26T06:59:58+00:00",
                    "chain_ahead_seconds": 2,
                    "indexed_block": 1234,
                    "indexed_timestamp": 1_795_676_400,
                    "indexed_timestamp_iso": "2026-11-26T07:00:00+00:00",
                }
            ]
        }
    )

    block_number: int = Field(description="The node's latest block")
    block_timestamp: UnixSeconds = Field(description="Unix seconds (UTC): the latest block's")
    gateway_time: UnixSeconds = Field(description="Unix seconds (UTC): the gateway's clock")
    chain_ahead_seconds: int = Field(
        description="block_timestamp - gateway_time: positive when the chain's clock is ahead"
        " of the gateway's (a dev chain moved forward), negative when it is behind (no block"
        " for a while)"
    )
    indexed_block: int | None = Field(
        description="The last block the gateway has indexed (null: none yet)"
    )
    indexed_timestamp: UnixSeconds | None = Field(
        description="Unix seconds (UTC): the last indexed block's, the time risk views and"
        " reports judge at"
    )
