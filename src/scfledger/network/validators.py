"""Add and remove Clique signers by a majority vote of the current signers' nodes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from scfledger.network.clique import CliqueNetwork
from scfledger.network.geth import CliqueNetworkError, rpc_call


@dataclass(frozen=True)
class VoteResult:
    """What a validator vote did: who voted and the signer set once it took effect."""

    address: ChecksumAddress
    authorize: bool
    voters: tuple[ChecksumAddress, ...]
    signers: tuple[ChecksumAddress, ...]
    block: int  # a head at which every running node reported the new signer set


def signers(network: CliqueNetwork) -> tuple[ChecksumAddress, ...]:
    """The current signer set, as the first running node sees it at its head."""
    for i in range(network.nodes):
        if network.pid(i) is not None:
            return _signers_at(network, i)
    raise CliqueNetworkError(f"no node of the network in {network.data_dir} is running")


def vote_validator(
    network: CliqueNetwork, address: str, *, authorize: bool, timeout: float = 60.0
) -> VoteResult:
    """Have a bare majority of the current signers propose adding (``authorize``) or
    removing ``address``, wait until the chain applies the vote on every running node,
    then withdraw the proposals.

    Clique counts a vote when its proposer seals a block and applies the change once more
    than half of the signers voted the same way. Withdrawing matters: a proposal left in a
    node would be cast again later and could undo a future opposite vote.
    """
    target = to_checksum_address(address)
    current = signers(network)
    if authorize and target in current:
        raise CliqueNetworkError(f"{target} is a signer already")
    if not authorize and target not in current:
        raise CliqueNetworkError(f"{target} is not a signer")
    if not authorize and len(current) == 1:
        raise CliqueNetworkError(f"{target} is the only signer: removing it would halt the chain")
    needed = len(current) // 2 + 1
    # Nodes whose key signs now, the one being removed last: it should not have to vote
    # itself out when others can.
    voters = sorted(
        (
            i
            for i in range(network.nodes)
            if network.sealers[i] in current and network.pid(i) is not None
        ),
        key=lambda i: network.sealers[i] == target,
    )[:needed]
    if len(voters) < needed:
        raise CliqueNetworkError(
            f"{len(current)} signers need {needed} votes, but only {len(voters)} of their "
            f"nodes run in {network.data_dir}"
        )
    for i in voters:
        rpc_call(network.rpc_url(i), "clique_propose", [target, authorize])
    try:
        block = _wait_applied(network, target, authorize, timeout)
    finally:
        for i in voters:
            if network.pid(i) is not None:
                rpc_call(network.rpc_url(i), "clique_discard", [target])
    running = [i for i in range(network.nodes) if network.pid(i) is not None]
    return VoteResult(
        address=target,
        authorize=authorize,
        voters=tuple(network.sealers[i] for i in voters),
        signers=_signers_at(network, running[0]),
        block=block,
    )


def _wait_applied(network: CliqueNetwork, target: str, authorize: bool, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        running = [i for i in range(network.nodes) if network.pid(i) is not None]
        if running and all((target in _signers_at(network, i)) == authorize for i in running):
            return min(network.head(i) for i in running)
        if time.monotonic() > deadline:
            verb = "added" if authorize else "removed"
            raise CliqueNetworkError(f"{target} was not {verb} within {timeout:.0f} s")
        time.sleep(0.2)


def _signers_at(network: CliqueNetwork, i: int) -> tuple[ChecksumAddress, ...]:
    return tuple(to_checksum_address(s) for s in rpc_call(network.rpc_url(i), "clique_getSigners"))
