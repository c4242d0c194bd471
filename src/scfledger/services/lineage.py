"""Lineage of a piece from the read model: its ancestors to the root and its descendants."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from scfledger.db.projections import Piece


@dataclass
class LineageNode:
    token_id: int
    parent_token_id: int | None
    depth: int
    holder: str
    value: int
    state: str
    children: list[LineageNode] = field(default_factory=list)


def _node(piece: Piece) -> LineageNode:
    return LineageNode(
        piece.token_id, piece.parent_token_id, piece.depth, piece.holder, piece.value, piece.state
    )


def ancestors(session: Session, token_id: int) -> list[LineageNode]:
    """The piece's parent, grandparent, ... up to the root, nearest first (one query)."""
    chain = (
        select(Piece.token_id, Piece.parent_token_id, literal(0).label("hops"))
        .where(Piece.token_id == token_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(Piece.token_id, Piece.parent_token_id, (chain.c.hops + 1).label("hops")).join(
            chain, Piece.token_id == chain.c.parent_token_id
        )
    )
    rows = session.execute(
        select(Piece)
        .join(chain, Piece.token_id == chain.c.token_id)
        .where(chain.c.hops > 0)
        .order_by(chain.c.hops)
    ).scalars()
    return [_node(p) for p in rows]


def descendants(session: Session, token_id: int) -> LineageNode | None:
    """The piece with every piece split from it, recursively, as a tree (one query)."""
    tree = select(Piece.token_id).where(Piece.token_id == token_id).cte("tree", recursive=True)
    tree = tree.union_all(
        select(Piece.token_id).join(tree, Piece.parent_token_id == tree.c.token_id)
    )
    pieces = session.execute(
        select(Piece).join(tree, Piece.token_id == tree.c.token_id).order_by(Piece.token_id)
    ).scalars()
    nodes = {p.token_id: _node(p) for p in pieces}
    for node in nodes.values():
        if node.token_id != token_id and node.parent_token_id in nodes:
            nodes[node.parent_token_id].children.append(node)
    return nodes.get(token_id)
