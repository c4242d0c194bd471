"""Webhooks never reach internal addresses (server-side request forgery), checked when
subscribing and again before every delivery attempt."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from scfledger.db.gateway_tables import WebhookAttempt, WebhookDelivery
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.services.ledger import actor_for
from scfledger.services.webhooks import create_webhook, destination_problem
from tests.api.server import Served, served_gateway
from tests.api.test_api_story import assert_problem, issue
from tests.api.test_documents_webhooks import Receiver, receiver

pytestmark = pytest.mark.integration

__all__ = ["receiver"]  # the fixture, imported for this module's tests


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1"),
        ("http://localhost/hook", "127.0.0.1"),
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("http://172.16.0.9/hook", "172.16.0.9"),
        ("http://192.168.1.20/hook", "192.168.1.20"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://100.64.0.1/hook", "100.64.0.1"),
        ("http://0.0.0.0/hook", "0.0.0.0"),
        ("http://[::1]/hook", "::1"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1"),
        ("http://[fd00::1]/hook", "fd00::1"),
        ("http://224.0.0.1/hook", "224.0.0.1"),
    ],
)
def test_non_public_destinations_are_refused(url: str, blocked: str) -> None:
    problem = destination_problem(url, allow_private=False)
    assert problem is not None
    assert problem.endswith(f"resolves to non-public addresses ['{blocked}']"), problem
    assert destination_problem(url, allow_private=True) is None


def test_public_unresolvable_and_malformed_destinations() -> None:
    assert destination_problem("https://93.184.215.14/hook", allow_private=False) is None
    assert (
        destination_problem(
            "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h", allow_private=False
        )
        is None
    )
    assert (
        destination_problem("https://hooks.invalid/x", allow_private=False)
        == "webhook host 'hooks.invalid' does not resolve"
    )
    for url in ("ftp://example.org/x", "http:///path", "not a url"):
        assert destination_problem(url, allow_private=True) == (
            f"webhook url {url!r} is not an http(s) URL with a host"
        )


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A gateway with the production default: webhooks to public addresses only."""
    directory = tmp_path_factory.mktemp("webhook-destinations")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url, allow_private_webhooks=False) as served:
        yield served


def test_subscribing_to_an_internal_address_is_refused(strict: Served) -> None:
    with strict.client("supplier1") as supplier1:
        for url, address in (
            ("http://127.0.0.1:9/hook", "127.0.0.1"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ):
            response = supplier1.post("/v1/webhooks", json={"url": url})
            problem = assert_problem(response, 422, "invalid-input")
            host = url.split("/")[2].split(":")[0]
            assert problem["detail"] == (
                f"webhook host '{host}' resolves to non-public addresses ['{address}']"
            )
        assert supplier1.get("/v1/webhooks").json() == []


def test_a_destination_that_turned_internal_gets_no_delivery(
    strict: Served, receiver: Receiver
) -> None:
    # As if the webhook's name resolved to a public address when it subscribed and was
    # re-pointed at this machine since (DNS rebinding): the row exists, the check at
    # delivery time must still refuse to connect.
    engine = create_db_engine(strict.database_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        actor = actor_for(session, participant="supplier1", address=strict.address("supplier1"))
        webhook, _secret = create_webhook(
            session=session, actor=actor, url=receiver.url, event_names=None, allow_private=True
        )
        webhook_id = webhook.id
    assert issue(strict, "rebound", "0x" + "a7" * 32).status_code == 202

    deadline = time.monotonic() + 30
    errors: list[str | None] = []
    while not errors and time.monotonic() < deadline:
        time.sleep(0.1)
        with sessions() as session:
            errors = list(
                session.scalars(
                    select(WebhookAttempt.error)
                    .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
                    .where(WebhookDelivery.webhook_id == webhook_id)
                )
            )
    assert errors, "no delivery attempt was logged"
    assert errors[0] == "webhook host '127.0.0.1' resolves to non-public addresses ['127.0.0.1']"
    assert receiver.requests() == []
    engine.dispose()
