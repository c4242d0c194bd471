"""Random obligation graphs for the set-off properties, and what a clearing leaves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hypothesis import strategies as st

from scfledger.setoff.obligations import Obligation

FIRMS = [f"0x{n:040x}" for n in range(8)]


@st.composite
def graphs(
    draw: st.DrawFn, *, firms: int = 6, obligations: int = 8, amount: int = 4
) -> list[Obligation]:
    """Up to `obligations` debts among up to `firms` firms, pieces numbered in draw order:
    parallel pieces between the same two firms, and firms owing each other both ways."""
    names = FIRMS[: draw(st.integers(2, firms))]
    pair = st.tuples(st.sampled_from(names), st.sampled_from(names)).filter(lambda p: p[0] != p[1])
    drawn = draw(st.lists(st.tuples(pair, st.integers(1, amount)), max_size=obligations))
    pieces = draw(st.permutations(range(1, len(drawn) + 1)))  # ids not in pair order
    return [
        Obligation(piece, debtor, creditor, value)
        for piece, ((debtor, creditor), value) in zip(pieces, drawn, strict=True)
    ]


def net_of(obligations: Sequence[Obligation], cleared: dict[int, int]) -> dict[str, int]:
    """Each firm's net position once `cleared` (piece -> amount) is taken off."""
    net: dict[str, int] = defaultdict(int)
    for o in obligations:
        left = o.amount - cleared.get(o.piece, 0)
        net[o.debtor] -= left
        net[o.creditor] += left
    return dict(net)
