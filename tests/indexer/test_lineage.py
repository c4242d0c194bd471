"""Lineage queries on the read model: ancestors to the root and the tree of descendants,
for a depth-20 chain and a wide split, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from scfledger.chain.deployment import deployed_contracts
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.network.anvil import anvil_node
from scfledger.services.lineage import LineageNode, ancestors, descendants
from tests.support.ledger import Consortium, deploy_consortium

pytestmark = pytest.mark.integration

WIDTH = 30


@pytest.fixture(scope="module")
def lineage_chain() -> Iterator[tuple[Consortium, list[int], list[int]]]:
    """A root whose first child starts a chain 20 deep and which is split 30 ways."""
    with anvil_node("--accounts", "20") as url:
        c = deploy_consortium(w3=Web3(HTTPProvider(url)))
        _, root = c.issue_active(amount=10**9)
        deep, token, holders = [root], root, ("supplier2", "supplier3")
        for depth in range(1, 21):
            token = c.split(token, holders[depth % 2], 10**8 - depth * 1000)
            deep.append(token)
        wide = [c.split(root, "supplier4", 1000 + i) for i in range(WIDTH)]
        yield c, deep, wide


@pytest.fixture(params=["sqlite", "postgresql"])
def indexed(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    lineage_chain: tuple[Consortium, list[int], list[int]],
) -> Iterator[tuple[object, list[int], list[int]]]:
    c, deep, wide = lineage_chain
    url = (
        f"sqlite:///{tmp_path / 'l.sqlite3'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    upgrade(url)
    engine = create_db_engine(url)
    config = IndexerConfig(
        contracts=deployed_contracts(c.ledger), start_block=c.ledger.deployment_block
    )
    Indexer(c.w3, session_factory(engine), config).catch_up()
    with session_factory(engine)() as session:
        yield session, deep, wide


def flatten(node: LineageNode) -> list[tuple[int, int | None, int]]:
    found = [(node.token_id, node.parent_token_id, node.depth)]
    for child in node.children:
        found += flatten(child)
    return found


def test_ancestors_of_the_deepest_piece_walk_back_to_the_root(
    indexed: tuple[object, list[int], list[int]],
) -> None:
    session, deep, _ = indexed
    chain = ancestors(session, deep[-1])  # type: ignore[arg-type]
    assert [n.token_id for n in chain] == list(reversed(deep[:-1]))
    assert [n.depth for n in chain] == list(range(19, -1, -1))
    assert chain[-1].parent_token_id is None
    assert ancestors(session, deep[0]) == []  # type: ignore[arg-type]


def test_descendants_form_the_whole_tree(indexed: tuple[object, list[int], list[int]]) -> None:
    session, deep, wide = indexed
    tree = descendants(session, deep[0])  # type: ignore[arg-type]
    assert tree is not None
    assert sorted(c.token_id for c in tree.children) == sorted([deep[1], *wide])
    nodes = flatten(tree)
    assert len(nodes) == 1 + 20 + WIDTH
    by_id = {token_id: (parent, depth) for token_id, parent, depth in nodes}
    for parent, child in pairwise(deep):
        assert by_id[child] == (parent, by_id[parent][1] + 1)
    middle = descendants(session, deep[10])  # type: ignore[arg-type]
    assert middle is not None
    assert [n[0] for n in flatten(middle)] == deep[10:]
    assert descendants(session, 10**9) is None  # type: ignore[arg-type]
