"""What the journal keeps of a row is the row as it was: `Record.snapshot` copies its JSON
values, so a change made later in place (an approval appended to a proposal) cannot reach
the journal's copy."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from scfledger.db.projections import Proposal
from scfledger.indexer.projector.records import new

OWNER = "0x" + "ab" * 20

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


def proposal(args: dict[str, Any], approvals: list[str]) -> Any:
    return new(
        Proposal,
        {
            "id": 7,
            "proposer": OWNER,
            "target": OWNER,
            "data": "0x",
            "action": "admit",
            "args": args,
            "status": "open",
            "approvals": approvals,
            "deadline": 100,
            "created_block": 1,
            "updated_block": 1,
        },
    )


def test_a_snapshot_keeps_the_approvals_as_they_were_when_the_list_grows_in_place() -> None:
    row = proposal({"member": OWNER}, [OWNER])
    kept = row.snapshot()
    row.approvals.append("0x" + "cd" * 20)
    row.args["member"] = "changed"
    assert kept["approvals"] == [OWNER]
    assert kept["args"] == {"member": OWNER}
    assert row.snapshot()["approvals"] == [OWNER, "0x" + "cd" * 20]


@given(
    args=st.dictionaries(st.text(max_size=4), json_values, max_size=4),
    approvals=st.lists(st.text(max_size=6), max_size=4),
)
def test_a_snapshot_equals_the_values_and_shares_no_json_container_with_the_row(
    args: dict[str, Any], approvals: list[str]
) -> None:
    row = proposal(args, approvals)
    kept = row.snapshot()
    assert kept == row.values()

    def containers(value: Any) -> list[Any]:
        if isinstance(value, list):
            return [value, *(c for item in value for c in containers(item))]
        if isinstance(value, dict):
            return [value, *(c for item in value.values() for c in containers(item))]
        return []

    shared = {id(c) for c in containers(row.args) + containers(row.approvals)}
    assert shared.isdisjoint(
        id(c) for c in containers(kept["args"]) + containers(kept["approvals"])
    )
