"""Lineage of a piece from the read model: its ancestors to the root and its descendants.

A participant reads the lineage of a piece it sees (`visibility.visible_piece`); the other
pieces of the tree it does not see are redacted to their place in it (token id, parent,
depth, value): no holder, no state (so nothing of whom they went to or their financing).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from scfledger.db.projections import Piece
from scfledger.services.visibility import visible_among, visible_piece

if TYPE_CHECKING:
    from scfledger.services.ledger import Actor


@dataclass
class LineageNode:
    token_id: int
    parent_token_id: int | None
    depth: int
    holder: str | None  # None where redacted
    value: int
    state: str | None  # None where redacted
    children: list[LineageNode] = field(default_factory=list)
    redacted: bool = False


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


@dataclass(frozen=True)
class Lineage:
    token_id: int
    ancestors: list[LineageNode]
    tree: LineageNode


def _redact(node: LineageNode, seen: set[int]) -> LineageNode:
    children = [_redact(child, seen) for child in node.children]
    if node.token_id in seen:
        return replace(node, children=children)
    return replace(node, holder=None, state=None, redacted=True, children=children)


def _ids(node: LineageNode) -> list[int]:
    return [node.token_id, *(i for child in node.children for i in _ids(child))]


def lineage(session: Session, actor: Actor, token_id: int) -> Lineage:
    """The lineage of a piece the actor sees (else RecordNotFound), redacted for the actor."""
    visible_piece(session, actor, token_id)
    tree = descendants(session, token_id)
    assert tree is not None  # visible_piece found it
    above = ancestors(session, token_id)
    seen = visible_among(session, actor, [n.token_id for n in above] + _ids(tree))
    return Lineage(
        token_id=token_id,
        ancestors=[_redact(n, seen) for n in above],
        tree=_redact(tree, seen),
    )
