"""The risk view's clock is the index's: the last indexed block's time, not the head's."""

from __future__ import annotations

from pathlib import Path

from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from scfledger.db.migrate import upgrade
from scfledger.db.projections import IndexerCheckpoint
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.indexer import CHECKPOINT_ID
from scfledger.risk.clock import IndexClock

DAY = 86_400


def test_the_clock_is_the_checkpoint_block_time_while_the_chain_moves_on(tmp_path: Path) -> None:
    tester = EthereumTester(PyEVMBackend())
    w3 = Web3(EthereumTesterProvider(tester))
    tester.mine_blocks(3)
    indexed = w3.eth.get_block("latest")
    database = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    upgrade(database)
    engine = create_db_engine(database)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        session.add(
            IndexerCheckpoint(
                id=CHECKPOINT_ID,
                block_number=indexed["number"],
                block_hash="0x" + bytes(indexed["hash"]).hex(),
            )
        )
    clock = IndexClock(w3)
    tester.time_travel(int(indexed["timestamp"]) + 30 * DAY)
    tester.mine_blocks(1)  # the head is 30 days past the indexed block
    assert w3.eth.get_block("latest")["timestamp"] >= indexed["timestamp"] + 30 * DAY
    with sessions() as session:
        assert clock.now(session) == indexed["timestamp"]
        assert clock.now(session) == indexed["timestamp"]  # asked of the node once
    engine.dispose()
