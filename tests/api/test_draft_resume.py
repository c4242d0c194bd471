"""The crash gap of maker-checker: a draft whose approval was committed but whose process
died before submitting it stays `approved` without an operation. A gateway that starts
submits it, by the draft's own idempotency key: once, even when the dead process had
queued its operation already."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from scfledger.app.compose import Deployment, build_gateway
from scfledger.db.drafts import Draft, GatewayEvent
from scfledger.db.models import Operation
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.services import drafts
from scfledger.services.ledger import Idempotency, actor_for
from tests.support.api import cny
from tests.support.checking import person_key
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

DAY = 86_400


def held_issue(served: Served, key: str, maker: str, amount: int) -> int:
    """The maker's issue, held as a draft by the default policy: its id."""
    body = {
        "creditor": served.address("supplier1"),
        "face_amount": cny(amount),
        "currency": "CNY",
        "due_date": served.chain_time() + 90 * DAY,
        "document_hash": served.document("core", f"invoice {key}"),
    }
    headers = {"Authorization": f"Bearer {maker}", "Idempotency-Key": key}
    with httpx.Client(base_url=served.url, headers=headers, timeout=70) as client:
        response = client.post("/v1/receivables", json=body)
    assert response.status_code == 202, response.text
    draft: dict[str, Any] = response.json()
    assert (draft["object"], draft["status"]) == ("draft", "pending"), draft
    return int(draft["id"])


def core_nonce(served: Served) -> int:
    return int(served.rpc("eth_getTransactionCount", served.address("core"), "latest"), 16)


def test_an_approved_draft_left_by_a_dead_process_is_submitted_once_at_start(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    with served_gateway(tmp_path, database, maker_checker=True) as served:
        dead = served.gateway
        assert dead is not None
        maker = person_key(served, "core", "amy", ["maker"], ["read", "write"])
        never_sent = held_issue(served, "resume-never-sent", maker, 1_000_000)
        half_sent = held_issue(served, "resume-half-sent", maker, 2_000_000)
        dead.stop()  # the process dies: its loops stop
        engine = create_db_engine(database)
        sessions = session_factory(engine)
        before = core_nonce(served)
        # Both approvals were committed; then the process died before marking either
        # submitted, one before its submission, the other after queueing its operation.
        with transaction(sessions) as session:
            for draft_id in (never_sent, half_sent):
                draft = session.get_one(Draft, draft_id)
                draft.status = "approved"
                draft.decided_at = datetime.now(UTC) - timedelta(hours=1)
        with sessions() as session:
            draft = session.get_one(Draft, half_sent)
            actor = actor_for(session, participant="core", address=served.address("core"))
            service, arguments = drafts._use_case(draft.service), dict(draft.arguments)
            idempotency = Idempotency(key=draft.idempotency_key, request_hash=draft.request_hash)
        queued = service(ledger=dead.ledger, actor=actor, idempotency=idempotency, **arguments)

        def counts() -> dict[str, int]:
            with sessions() as session:
                return {
                    key: session.scalar(
                        select(func.count())
                        .select_from(Operation)
                        .where(Operation.participant == "core", Operation.idempotency_key == key)
                    )
                    or 0
                    for key in ("resume-never-sent", "resume-half-sent")
                }

        assert counts() == {"resume-never-sent": 0, "resume-half-sent": 1}

        # A gateway starts over the same database and chain.
        settings = dead.settings
        deployment = Deployment(served.seeded.contracts, served.seeded.deployment_block)
        started = build_gateway(settings, deployment, engine=engine, keys=dead.keys)
        started.start()
        try:

            def submitted() -> list[Draft] | None:
                with sessions() as session:
                    found = [session.get_one(Draft, i) for i in (never_sent, half_sent)]
                    done = all(d.status == "submitted" for d in found)
                    return found if done else None

            never, half = eventually(submitted, what="the approved drafts submitted", timeout=60)
            assert half.operation_id == queued.id  # found by its key, not sent again
            assert never.operation_id is not None
            assert never.operation_id != queued.id
            assert counts() == {"resume-never-sent": 1, "resume-half-sent": 1}

            def mined() -> bool:
                with sessions() as session:
                    statuses = {
                        session.get_one(Operation, op).status
                        for op in (never.operation_id, half.operation_id)
                    }
                return statuses <= {"mined", "indexed"}

            eventually(mined, what="both operations mined", timeout=60)
            # Resuming again (another process, the next sweep) finds nothing to do.
            assert drafts.resume_approved(started.ledger, datetime.now(UTC)) == 0
        finally:
            started.stop()
        assert core_nonce(served) == before + 2  # one transaction each, never two
        with sessions() as session:
            announced = session.scalars(
                select(GatewayEvent.args).where(GatewayEvent.name == "DraftSubmitted")
            ).all()
        assert sorted(a["draft_id"] for a in announced) == sorted([never_sent, half_sent])
        engine.dispose()
