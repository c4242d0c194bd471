"""Two gateway replicas dispatching webhooks from one PostgreSQL deliver each event once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from eth_utils.address import to_checksum_address
from sqlalchemy import insert, select

from scfledger.chain.generated import Role
from scfledger.db.gateway_tables import WebhookDelivery
from scfledger.db.migrate import upgrade
from scfledger.db.projections import ChainEvent, Member
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.keys.sealing import Sealer
from scfledger.services.ledger import actor_for
from scfledger.services.webhooks import WebhookDispatcher, create_webhook
from tests.api.test_documents_webhooks import Receiver, receiver
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.integration

__all__ = ["receiver"]  # the fixture, imported for this module's tests

HOLDER = to_checksum_address("0x" + "ab" * 20)
EVENTS = 120
SEALER = Sealer(bytes(range(32)))  # the gateway replicas' one key


def test_two_dispatchers_on_one_postgresql_deliver_each_event_once(
    postgres: PostgresServer, receiver: Receiver
) -> None:
    postgres_url = postgres.create_database()
    upgrade(postgres_url)
    setup = session_factory(create_db_engine(postgres_url))
    with transaction(setup) as session:
        session.add(
            Member(
                address=HOLDER, name="holder", legal_id_hash="0x" + "01" * 32,
                kyc_hash="0x" + "02" * 32, roles=Role.SUPPLIER, status="active",
                admitted_block=1, updated_block=1,
            )
        )  # fmt: skip
    with transaction(setup) as session:
        actor = actor_for(session, participant="holder", address=HOLDER)
        create_webhook(
            session=session,
            actor=actor,
            url=receiver.url,
            event_names=None,
            sealer=SEALER,
            allow_loopback=True,
        )
    with transaction(setup) as session:  # the indexer's rows, after the subscription
        session.execute(
            insert(ChainEvent),
            [
                {
                    "block_number": 10 + n,
                    "block_hash": f"0x{n:064x}",
                    "tx_hash": f"0x{n + 1:064x}",
                    "log_index": 0,
                    # Deposit token payments to the holder: events it sees by its address.
                    "contract": "DepositToken",
                    "name": "Transfer",
                    "args": {"from": "0x" + "00" * 20, "to": HOLDER, "value": n + 1},
                }
                for n in range(EVENTS)
            ],
        )

    # Two replicas, each with its own engine and pool, start each phase together.
    replicas = [
        WebhookDispatcher(
            session_factory(create_db_engine(postgres_url)),
            sealer=SEALER,
            batch=EVENTS,
            allow_loopback=True,
        )
        for _ in range(2)
    ]
    errors: list[BaseException] = []

    def together(step: Callable[[WebhookDispatcher], object]) -> None:
        barrier = threading.Barrier(len(replicas))

        def run(dispatcher: WebhookDispatcher) -> None:
            barrier.wait()
            try:
                step(dispatcher)
            except BaseException as exc:  # reported below, with the other replica's
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(d,)) for d in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    together(WebhookDispatcher.enqueue)  # both see the same new events
    together(WebhookDispatcher.run_once)  # both find the same deliveries due
    assert errors == []

    with setup() as session:
        rows = session.execute(select(WebhookDelivery.id, WebhookDelivery.attempts)).all()
    assert len(rows) == EVENTS
    assert {attempts for _id, attempts in rows} == {1}
    received = Counter(json.loads(body)["delivery_id"] for _headers, body in receiver.requests())
    assert set(received) == {delivery_id for delivery_id, _ in rows}
    twice = sorted(d for d, n in received.items() if n > 1)
    assert twice == [], f"{len(twice)} of {EVENTS} deliveries sent more than once"
