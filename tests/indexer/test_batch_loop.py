"""The indexer loop's own machinery around a batch: the next batch read ahead while one is
written, the garbage collector paused while a batch is read and written."""

from __future__ import annotations

import gc

import pytest
from web3 import HTTPProvider, Web3

from scfledger.db.projections import Piece
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.indexer import ChainBatch, _collector_paused
from scfledger.network.anvil import anvil_node
from tests.support.indexer import assert_index_matches_chain, indexer_for
from tests.support.ledger import deploy_consortium


def test_the_collector_is_off_during_a_batch_and_back_on_after_it_even_on_failure() -> None:
    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
        with _collector_paused():  # nested (or another indexer's batch): left off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), _collector_paused():
        raise RuntimeError("node unreachable")
    assert gc.isenabled()


@pytest.mark.integration
def test_a_batch_read_ahead_is_used_once_and_dropped_when_its_blocks_are_replaced(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next batch is read while one is written, and used as it is when it follows the
    checkpoint on the chain; a reorg above the checkpoint after it was read (the checkpoint
    itself still on the chain, so no rollback) makes the indexer read the batch again."""
    with anvil_node("--accounts", "20") as url:
        c = deploy_consortium(w3=Web3(HTTPProvider(url)))
        engine = create_db_engine(db_url)
        indexer = indexer_for(c, engine, batch_size=1, max_batch_size=1, confirmations=0)
        reads: list[int] = []
        read = indexer._read

        def counted(first: int, last: int) -> ChainBatch:
            reads.append(first)
            return read(first, last)

        monkeypatch.setattr(indexer, "_read", counted)
        _, root = c.issue_active(amount=1000)
        fork = c.w3.eth.block_number
        snapshot = c.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        orphan = c.split(root, "supplier2", 300)  # in blocks fork + 1 ...
        while (checkpoint := indexer.checkpoint()) is None or checkpoint[0] < fork:
            assert indexer.step() == 1
        assert sorted(reads) == list(range(c.ledger.deployment_block, fork + 2))  # once each
        assert indexer._ahead is not None
        assert indexer._ahead.result().first == fork + 1  # an orphaned block, read ahead

        c.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        replacement = c.split(root, "supplier3", 100)
        assert replacement == orphan  # same id, other holder: the branch really changed
        while (checkpoint := indexer.checkpoint()) is not None and checkpoint[0] < fork + 2:
            assert indexer.step() == 1
        assert (reads.count(fork + 1), reads.count(fork + 2)) == (2, 1)  # read ahead, again
        with session_factory(engine)() as session:
            piece = session.get(Piece, replacement)
            assert piece is not None
            assert (piece.holder, piece.value) == (c.supplier3, 100)
        indexer.catch_up()
        assert indexer.stats.reorgs == 0
        with session_factory(engine)() as session:
            assert_index_matches_chain(session, c)
        engine.dispose()
