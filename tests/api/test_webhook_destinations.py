"""Webhooks never reach internal addresses (server-side request forgery), checked when
subscribing and again before every delivery attempt."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.db.gateway_tables import WebhookAttempt, WebhookDelivery
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.keys.store import KeyStore
from scfledger.services.ledger import actor_for
from scfledger.services.webhook_destinations import destination_problem
from scfledger.services.webhooks import create_webhook
from tests.api.test_api_story import issue
from tests.api.test_documents_webhooks import Receiver, receiver
from tests.support.anvil import free_port
from tests.support.api import assert_problem
from tests.support.served import PASSPHRASE, Served, served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

__all__ = ["receiver"]  # the fixture, imported for this module's tests

SEALER = KeyStore(Path("unused"), PASSPHRASE).sealer(WEBHOOK_SECRETS)  # the gateways' key


# The same few machines, spelled every way a URL parser or resolver may accept.
LOOPBACK = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",  # a name resolving to loopback
    "http://127.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one decimal number
    "http://0x7f000001/hook",  # ... in hex
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/hook",
]
INTERNAL = [
    "http://0.0.0.0/hook",  # reaches this machine on Linux, but is no loopback address
    "http://0/hook",
    "http://[::]/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.9/hook",
    "http://192.168.1.20/hook",
    "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
    "http://100.100.100.200/hook",  # a cloud's metadata service, in the shared space
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/latest/meta-data/",  # 169.254.169.254 as one decimal number
    "http://0xa9fea9fe/latest/meta-data/",  # ... in hex
    "http://169.254.43518/latest/meta-data/",  # ... as a.b.c16
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of it
    "http://[2002:a9fe:a9fe::1]/latest/meta-data/",  # 6to4 of it
    "http://[fd00:ec2::254]/latest/meta-data/",  # a cloud's IPv6 metadata service
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://224.0.0.1/hook",
    "http://metadata.google.internal/computeMetadata/v1/",  # no public answer
]


def host_of(url: str) -> str:
    return str(httpx.URL(url).host)


@pytest.mark.parametrize("url", LOOPBACK + INTERNAL)
def test_production_refuses_every_internal_destination(url: str) -> None:
    assert destination_problem(url, allow_loopback=False) == (
        f"webhook host {host_of(url)!r} does not resolve to public addresses only"
    )


@pytest.mark.parametrize("url", LOOPBACK)
def test_a_dev_gateway_allows_loopback(url: str) -> None:
    assert destination_problem(url, allow_loopback=True) is None


@pytest.mark.parametrize("url", INTERNAL)
def test_a_dev_gateway_refuses_private_link_local_and_metadata_destinations(url: str) -> None:
    """Finding 12: `scf up` accepted webhooks to private ranges and 169.254.169.254."""
    assert destination_problem(url, allow_loopback=True) == (
        f"webhook host {host_of(url)!r} does not resolve to public or loopback addresses only"
    )


def test_public_unresolvable_and_malformed_destinations() -> None:
    for url in (
        "https://93.184.215.14/hook",
        "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h",
        "https://[64:ff9b::5db8:d70e]/h",  # NAT64 of a public address
    ):
        assert destination_problem(url, allow_loopback=False) is None, url
    # Whether a name does not resolve or resolves inside is one answer: no DNS oracle.
    assert (
        destination_problem("https://hooks.invalid/x", allow_loopback=False)
        == "webhook host 'hooks.invalid' does not resolve to public addresses only"
    )
    for url in ("ftp://example.org/x", "http:///path", "not a url", "http://0177.0.0.1/"):
        assert destination_problem(url, allow_loopback=True) == (
            f"webhook url {url!r} is not an http(s) URL with a host"
        )


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A gateway with the production default: webhooks to public addresses only."""
    directory = tmp_path_factory.mktemp("webhook-destinations")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url, allow_loopback_webhooks=False) as served:
        yield served


def test_subscribing_to_an_internal_address_is_refused(strict: Served) -> None:
    with strict.client("supplier1") as supplier1:
        for url, address in (
            ("http://127.0.0.1:9/hook", "127.0.0.1"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ):
            response = supplier1.post("/v1/webhooks", json={"url": url})
            problem = assert_problem(response, 422, "invalid-input")
            assert problem["detail"] == (
                f"webhook host '{address}' does not resolve to public addresses only"
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
            session=session,
            actor=actor,
            url=receiver.url,
            event_names=None,
            sealer=SEALER,
            allow_loopback=True,
        )
        webhook_id = webhook.id
    assert issue(strict, "rebound", "0x" + "a7" * 32).status_code == 202

    def attempt_errors() -> list[str | None]:
        with sessions() as session:
            return list(
                session.scalars(
                    select(WebhookAttempt.error)
                    .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
                    .where(WebhookDelivery.webhook_id == webhook_id)
                )
            )

    errors = eventually(
        lambda: attempt_errors() or None, what="a delivery attempt to be logged", interval=0.1
    )
    assert errors[0] == "webhook host '127.0.0.1' does not resolve to public addresses only"
    assert receiver.requests() == []
    engine.dispose()


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A gateway as `scf up` runs it: webhooks may also go to loopback."""
    directory = tmp_path_factory.mktemp("webhook-dev")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCF_WEBHOOK_POLL_INTERVAL", "0.05")
        with served_gateway(directory, url, allow_loopback_webhooks=True) as served:
            yield served


def test_a_dev_gateway_refuses_internal_destinations_over_the_api(dev: Served) -> None:
    with dev.client("supplier1") as supplier1:
        for url in (
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/latest/meta-data/",
            "http://[::ffff:169.254.169.254]/latest/meta-data/",
            "http://10.0.0.1/hook",
            "http://192.168.1.1/hook",
        ):
            response = supplier1.post("/v1/webhooks", json={"url": url})
            problem = assert_problem(response, 422, "invalid-input")
            assert problem["detail"] == (
                f"webhook host {host_of(url)!r} does not resolve to public or loopback "
                "addresses only"
            )
        assert supplier1.get("/v1/webhooks").json() == []


@pytest.fixture
def resetting() -> Iterator[str]:
    """A loopback URL whose port accepts connections and closes them at once."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_the_delivery_log_tells_only_unreachable_from_an_http_status(
    dev: Served, receiver: Receiver, resetting: str
) -> None:
    """Finding 12: "Connection refused" against "HTTP 404" in the log made a port scanner."""
    closed = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    receiver.statuses = [404]
    with dev.client("supplier1") as supplier1:
        hooks = {}
        for name, url in (("closed", closed), ("reset", resetting), ("http", receiver.url)):
            body = {"url": url, "event_names": ["ReceivableIssued"]}
            created = supplier1.post("/v1/webhooks", json=body)
            assert created.status_code == 201, created.text
            hooks[name] = created.json()["id"]
        assert issue(dev, "probe", "0x" + "a8" * 32).status_code == 202

        def first_attempts() -> dict[str, tuple[int | None, str | None]] | None:
            seen = {}
            for name, hook in hooks.items():
                log = supplier1.get(f"/v1/webhooks/{hook}/deliveries").json()
                if not log or not log[0]["attempts"]:
                    return None
                first = log[0]["attempts"][0]
                seen[name] = (first["status_code"], first["error"])
            return seen

        attempts = eventually(first_attempts, what="a delivery attempt to be logged", interval=0.1)
        assert attempts == {
            "closed": (None, "unreachable"),
            "reset": (None, "unreachable"),
            "http": (404, "HTTP 404"),
        }
        for hook in hooks.values():
            assert supplier1.delete(f"/v1/webhooks/{hook}").status_code == 204
