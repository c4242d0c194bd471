"""Maker-checker in the services: whatever the policy, the amount and the checkers'
decisions, nothing reaches the pipeline (hence the chain) without the approvals the policy
requires, and never with the maker among the approvers."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scfledger.db.drafts import Draft
from scfledger.db.session import transaction
from scfledger.exceptions import AlreadyDecided, DraftExpired, OwnDraft
from scfledger.people.person import Person
from scfledger.people.policy import DEFAULT_KINDS, Policy, set_policy
from scfledger.services import drafts
from scfledger.services.drafts import service_name
from scfledger.services.ledger import Actor, Idempotency
from scfledger.services.receivables import issue
from tests.support.services import Services

DAY = 86_400
PEOPLE = ("maker", "c1", "c2", "c3")  # the maker may also be a checker: it is refused
NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


def person(name: str) -> Person:
    return Person(
        user_id=f"user-{name}",
        username=name,
        participant="core",
        kind="user",
        roles=frozenset({"maker", "checker"}),
        credential="key",
        credential_id=f"key-{name}",
        scopes=frozenset({"read", "write", "approve"}),
    )


def as_person(actor: Actor, name: str) -> Actor:
    return dataclasses.replace(actor, person=person(name))


decisions = st.lists(st.tuples(st.sampled_from(PEOPLE), st.booleans()), max_size=6)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    checked=st.booleans(),
    threshold=st.none() | st.integers(min_value=0, max_value=10**7),
    amount=st.integers(min_value=1, max_value=2 * 10**7),
    steps=decisions,
    expire_after=st.none() | st.integers(min_value=0, max_value=6),
)
def test_nothing_reaches_the_pipeline_without_the_approvals_the_policy_requires(
    services: Services,
    checked: bool,
    threshold: int | None,
    amount: int,
    steps: list[tuple[str, bool]],
    expire_after: int | None,
) -> None:
    kinds = DEFAULT_KINDS if checked else frozenset({"settlement.confirm"})
    with transaction(services.ledger.sessions) as session:
        set_policy(session, "core", Policy(kinds, threshold, 72), by="tests")
    core = services.actor("core")
    arguments = {
        "creditor": services.address("supplier1"),
        "face_amount": amount,
        "currency": "CNY",
        "due_date": services.consortium.now() + 90 * DAY,
        "document_hash": services.document("core", f"invoice {uuid.uuid4()}"),
    }
    key = str(uuid.uuid4())
    idempotency = Idempotency(key=key, request_hash=key)

    held = drafts.hold(
        services.ledger.sessions,
        actor=as_person(core, "maker"),
        service=service_name(issue),
        arguments=arguments,
        idempotency=idempotency,
        now=NOW,
    )

    if not checked:
        assert held is None  # the policy does not check issues: the write goes on at once
        return
    assert held is not None
    required = 2 if threshold is not None and amount > threshold else 1
    assert held.draft.approvals_required == required
    approvers: list[str] = []
    rejected = False
    for index, (who, approve) in enumerate(steps):
        now = NOW if expire_after is None or index < expire_after else NOW + timedelta(hours=73)
        actor = as_person(core, who)
        try:
            if approve:
                drafts.approve_draft(services.ledger, actor, held.draft.id, now=now)
            else:
                drafts.reject_draft(
                    services.ledger.sessions, actor, held.draft.id, reason="no", now=now
                )
        except OwnDraft:
            assert who == "maker"
        except AlreadyDecided:
            assert rejected or who in approvers or len(approvers) >= required
        except DraftExpired:
            assert now > NOW
        else:
            assert who != "maker"
            if approve:
                approvers.append(who)
            else:
                rejected = True
        operation = services.pipeline.find("core", key, key)
        with services.session() as session:
            draft = session.get_one(Draft, held.draft.id)
        if operation is None:
            assert rejected or len(set(approvers)) < required or draft.status == "expired"
            assert draft.operation_id is None
        else:
            assert not rejected
            assert "maker" not in approvers
            assert len(set(approvers)) >= required
            assert (draft.status, draft.operation_id) == ("submitted", operation.id)
            assert operation.kind == "receivable.issue"
    if not steps:
        assert services.pipeline.find("core", key, key) is None


def test_a_draft_replays_the_arguments_it_was_made_with(services: Services) -> None:
    """The draft stores the write's arguments as JSON gives them back (lists for tuples),
    and its operation is the use case run on them under the maker's key."""
    with transaction(services.ledger.sessions) as session:
        set_policy(session, "core", Policy(DEFAULT_KINDS), by="tests")
    core = services.actor("core")
    arguments = {
        "creditor": services.address("supplier1"),
        "face_amount": 4_200,
        "currency": "CNY",
        "due_date": services.consortium.now() + 90 * DAY,
        "document_hash": services.document("core", "invoice replayed"),
    }
    held = drafts.hold(
        services.ledger.sessions,
        actor=as_person(core, "maker"),
        service=service_name(issue),
        arguments=arguments,
        idempotency=Idempotency(key="replayed", request_hash="replayed"),
        now=NOW,
    )
    assert held is not None
    assert held.draft.arguments == arguments
    assert services.pipeline.find("core", "replayed", "replayed") is None

    _view, operation = drafts.approve_draft(
        services.ledger, as_person(core, "c1"), held.draft.id, now=NOW
    )

    assert operation is not None
    done = services.complete(operation)
    issued = services.events(done)["ReceivableIssued"]
    assert int(issued["faceAmount"]) == 4_200
    assert issued["creditor"] == services.address("supplier1")
