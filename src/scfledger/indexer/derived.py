"""Tables derived from the feed by a rule of a higher layer, kept in the indexer's transactions.

The events feed's visibility table follows the one visibility rule, which lives in the
services layer (above this one); `scfledger.services.feed_visibility` registers its keeper
here when the services package is imported (the gateway, `scf index`, the tests), and the
indexer calls it in the transaction of each batch, rollback and replay, so the table is
always what the rule says of the feed and projections it commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class FeedChange:
    """What a transaction did to the feed: rows `added` (id, args) after the projections
    took them, rows `removed` (id, args: a reorg; the projections already undone), or
    `rebuilt` (the projections replayed from the whole feed)."""

    added: Sequence[tuple[int, dict[str, Any]]] = field(default_factory=list)
    removed: Sequence[tuple[int, dict[str, Any]]] = field(default_factory=list)
    rebuilt: bool = False


class Keeper(Protocol):
    def changed(self, session: Session, change: FeedChange) -> None:
        """Brings the derived table up to date with the change, in the caller's transaction."""

    def fill_if_behind(self, session: Session) -> None:
        """Fills the table when the feed was indexed before the table existed."""


_keepers: list[Keeper] = []


def register(keeper: Keeper) -> None:
    if keeper not in _keepers:
        _keepers.append(keeper)


def changed(session: Session, change: FeedChange) -> None:
    for keeper in _keepers:
        keeper.changed(session, change)


def fill_if_behind(session: Session) -> None:
    for keeper in _keepers:
        keeper.fill_if_behind(session)
