"""The indexer's default confirmations follow the chain's engine: 0 where a block is final
once on chain (dev chains, QBFT/IBFT), N // 2 of N sealers on Clique, 12 on an engine it
cannot tell. Dev chains and Clique run here; Besu does not (see tests/network/test_besu.py),
so its answers are replayed as a Besu QBFT node gives them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.engine import (
    BFT_MIX_HASH,
    UNKNOWN_CONFIRMATIONS,
    ChainEngine,
    chain_engine,
    clique_confirmations,
    default_confirmations,
)
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.network.anvil import anvil_node
from scfledger.network.besu import qbft_extra_data
from tests.support.clique import clique_network, web3_for


class RecordedNode(BaseProvider):
    """Answers JSON-RPC calls with recorded results; a method not recorded is one the
    node does not serve (its JSON-RPC error)."""

    def __init__(self, results: dict[str, Any]) -> None:
        super().__init__()
        self.results = results

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method not in self.results:
            error = {"code": -32601, "message": f"the method {method} does not exist"}
            return {"jsonrpc": "2.0", "id": 1, "error": error}  # type: ignore[typeddict-item]
        return {"jsonrpc": "2.0", "id": 1, "result": self.results[method]}


def header(**fields: Any) -> dict[str, Any]:
    return {"number": "0x2a", "difficulty": "0x0", "extraData": "0x",
            "mixHash": "0x" + "11" * 32, **fields}  # fmt: skip


# As Besu 24.x answers on a QBFT network (its API modules QBFT not enabled).
BESU_QBFT = {
    "web3_clientVersion": "besu/v24.3.0/linux-x86_64/openjdk-java-17",
    "eth_getBlockByNumber": header(
        difficulty="0x1", mixHash=BFT_MIX_HASH, extraData=qbft_extra_data(["0x" + "ab" * 20])
    ),
}
# A go-ethereum Clique sealer whose clique API is not served: its genesis lists 4 sealers
# (the same header answers for the latest block and the genesis).
CLIQUE_WITHOUT_API = {
    "web3_clientVersion": "Geth/v1.13.15-stable/linux-amd64/go1.22.2",
    "eth_getBlockByNumber": header(
        difficulty="0x2", extraData="0x" + "00" * 32 + "ab" * 20 * 4 + "00" * 65
    ),
}
# A proof-of-stake node: nothing tells how final its head is.
POS = {
    "web3_clientVersion": "Geth/v1.14.8-stable/linux-amd64/go1.22.5",
    "eth_getBlockByNumber": header(),
}


def test_dev_chains_wait_no_confirmation() -> None:
    with anvil_node() as url:
        anvil = Web3(HTTPProvider(url))
        assert (chain_engine(anvil), default_confirmations(anvil)) == (ChainEngine.DEV, 0)
    tester = Web3(EthereumTesterProvider())
    assert (chain_engine(tester), default_confirmations(tester)) == (ChainEngine.DEV, 0)


def test_qbft_waits_no_confirmation_clique_half_its_sealers_and_an_unknown_engine_twelve() -> None:
    besu = Web3(RecordedNode(BESU_QBFT))
    pos = Web3(RecordedNode(POS))
    assert (chain_engine(besu), default_confirmations(besu)) == (ChainEngine.BFT, 0)
    clique = Web3(RecordedNode(CLIQUE_WITHOUT_API))
    assert (chain_engine(clique), default_confirmations(clique)) == (ChainEngine.CLIQUE, 2)
    assert (chain_engine(pos), default_confirmations(pos)) == (
        ChainEngine.UNKNOWN,
        UNKNOWN_CONFIRMATIONS,
    )


@pytest.mark.parametrize(("sealers", "confirmations"), [(1, 1), (2, 1), (3, 1), (4, 2), (7, 3)])
def test_clique_waits_for_half_of_its_sealers(sealers: int, confirmations: int) -> None:
    assert clique_confirmations(sealers) == confirmations


@pytest.fixture(scope="module")
def clique(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web3]:
    with clique_network(tmp_path_factory.mktemp("clique"), nodes=4) as network:
        yield web3_for(network, 0)


@pytest.mark.integration
def test_an_indexer_on_four_clique_sealers_stays_two_blocks_behind(
    clique: Web3, tmp_path: Path
) -> None:
    """Without configured confirmations, the indexer asks the node once: Clique, four
    sealers, so it reads two blocks deep."""
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    upgrade(url)
    config = IndexerConfig(contracts={}, start_block=0)
    indexer = Indexer(clique, session_factory(create_db_engine(url)), config)

    assert chain_engine(clique) is ChainEngine.CLIQUE
    assert indexer.confirmations == 2
    head = clique.eth.block_number
    assert indexer.target_block() in (head - 2, head - 1)  # a block may come meanwhile
