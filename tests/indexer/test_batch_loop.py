"""The indexer loop's own machinery around a batch: the garbage collector paused while a
batch is read and written."""

from __future__ import annotations

import gc

import pytest

from scfledger.indexer.indexer import _collector_paused


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
