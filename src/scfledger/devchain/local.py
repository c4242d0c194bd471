"""The chains `scf up` starts on this machine: one anvil dev node, or a four-sealer
go-ethereum Clique consortium watched for sealing deadlocks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import HTTPProvider, Web3

from scfledger.chain.clock import BlockTime, block_time
from scfledger.chain.node import connect
from scfledger.chain.tx import Sender
from scfledger.exceptions import DevChainError
from scfledger.keys.store import KeyStore
from scfledger.network.anvil import anvil_node, free_port
from scfledger.network.clique import CliqueNetwork
from scfledger.network.clique_spec import P2P_OFFSET
from scfledger.network.deadlock import StallGuard
from scfledger.outbox.faucet import GAS_MONEY, GasFaucet, set_balance
from scfledger.services.participants import Provision

ANVIL = "anvil"  # the engines of the chains below
CLIQUE = "clique"
CONSORTIUM_NODES = 4
# Keystore account funded in the consortium's genesis: it deploys, then pays every
# participant's gas money (the gateway's `--gas-faucet`).
FAUCET = "gas-faucet"
FAUCET_FUNDS = 10**27
# Clique can replace the newest blocks (rival out-of-turn seals): read two blocks deep.
CONSORTIUM_CONFIRMATIONS = 2


@dataclass(frozen=True)
class LocalChain:
    description: str
    engine: str  # ANVIL or CLIQUE
    rpc: str
    w3: Web3
    provision: Provision  # gas money for the participants seed_demo creates
    deployer: Sender
    # What a gateway over this chain sets (Settings fields, besides the chain's URL).
    settings: dict[str, Any] = field(default_factory=dict)


@contextmanager
def dev_chain() -> Iterator[LocalChain]:
    """One anvil node whose accounts are unlocked and whose balances can be set."""
    with anvil_node("--accounts", "10") as url:
        w3 = Web3(HTTPProvider(url))
        yield LocalChain(
            description=f"dev chain (anvil, paris) at {url}",
            engine=ANVIL,
            rpc=url,
            w3=w3,
            provision=set_balance(w3),
            deployer=w3.eth.accounts[0],
            settings={"dev_chain": True, "webhook_allow_loopback": True},
        )


@contextmanager
def consortium_chain(directory: Path, keys: KeyStore) -> Iterator[LocalChain]:
    """Four Clique sealers in <directory>/chain, stopped on exit; the gateway talks to
    node 0. A keystore account funded in the genesis deploys and pays gas money."""
    faucet = Account.create()
    keys.import_key(FAUCET, faucet.key)
    network = CliqueNetwork(
        directory / "chain",
        nodes=CONSORTIUM_NODES,
        base_port=free_port(P2P_OFFSET + CONSORTIUM_NODES),
        alloc={faucet.address: FAUCET_FUNDS},
    )
    try:
        network.start()
        with StallGuard(network):
            w3 = connect(network.rpc_url(0))
            nodes = ", ".join(network.rpc_url(i) for i in range(CONSORTIUM_NODES))
            yield LocalChain(
                description=f"consortium chain: {CONSORTIUM_NODES} go-ethereum Clique sealers "
                f"(JSON-RPC {nodes}), watched for sealing deadlocks",
                engine=CLIQUE,
                rpc=network.rpc_url(0),
                w3=w3,
                provision=GasFaucet(w3, keys.signer(FAUCET), GAS_MONEY),
                deployer=faucet,
                settings={
                    "indexer_confirmations": CONSORTIUM_CONFIRMATIONS,
                    "gas_faucet": FAUCET,
                    "webhook_allow_loopback": True,
                },
            )
    finally:
        network.stop()


def travel_to(w3: Web3, timestamp: int) -> BlockTime:
    """Moves a dev chain's (anvil's) clock to `timestamp` and mines a block there; the
    blocks after it go on from that time. Forward only: anvil refuses an earlier time."""
    for method, params in (("anvil_setNextBlockTimestamp", [timestamp]), ("evm_mine", [])):
        answer = w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in answer:
            raise DevChainError(f"{method} failed: {answer['error'].get('message')}")
    return block_time(w3)
