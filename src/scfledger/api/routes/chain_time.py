"""`/v1/chain/time`: the chain's clock, the index's and the gateway's; `/v1/chain/network`:
the node's engine, peers and sealers."""

from __future__ import annotations

from fastapi import APIRouter

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.schemas_node import ChainNetworkOut
from scfledger.api.schemas_time import ChainTimeOut
from scfledger.services.clock import chain_times
from scfledger.services.node import node_network

router = APIRouter(tags=["ledger"], route_class=GuardedRoute)


@router.get("/v1/chain/time")
def chain_time(gateway: GatewayDep, actor: CurrentActor) -> ChainTimeOut:
    """The latest block's number and timestamp, the last indexed block's (the clock of the
    risk views and reports) and the gateway's clock, as Unix seconds and ISO 8601; 503
    `chain-unavailable` when the node does not answer."""
    del actor  # any signed-in caller: the chain's time is no one's business
    with gateway.sessions() as session:
        times = chain_times(
            w3=gateway.w3, session=session, clock=gateway.clock, wall_clock=gateway.wall_clock
        )
    return ChainTimeOut(
        block_number=times.latest.number,
        block_timestamp=times.latest.timestamp,
        gateway_time=times.gateway,
        chain_ahead_seconds=times.latest.timestamp - times.gateway,
        indexed_block=None if times.indexed is None else times.indexed.number,
        indexed_timestamp=None if times.indexed is None else times.indexed.timestamp,
    )


@router.get("/v1/chain/network")
def chain_network(gateway: GatewayDep, actor: CurrentActor) -> ChainNetworkOut:
    """The gateway's node's consensus engine, its peer count and, on Clique, the current
    sealers, as the node reports them (null where it does not say: anvil serves neither);
    503 `chain-unavailable` when the node does not answer."""
    del actor  # any signed-in caller, as the chain's time
    found = node_network(gateway.w3)
    return ChainNetworkOut(
        engine=found.engine.value,
        peer_count=found.peers,
        sealers=None if found.sealers is None else list(found.sealers),
    )
