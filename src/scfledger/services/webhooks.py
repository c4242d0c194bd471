"""Webhooks: subscriptions to the chain event feed, and the dispatcher that delivers them.

Each delivery is a JSON body signed with the subscription's secret:
``X-Scf-Signature: sha256=<hex HMAC-SHA256 of "<X-Scf-Timestamp>.<body>">``. Signing the
timestamp with the body lets a receiver refuse replays of old deliveries. A non-2xx answer
or a timeout is retried after ``backoff * 2**(attempt - 1)`` seconds, up to
``max_attempts``; every attempt is logged.

Destinations must resolve to public addresses only (checked when subscribing and again
before every attempt, so a name later pointed at an internal address is refused); a dev
gateway (`SCF_WEBHOOK_ALLOW_LOOPBACK`, set by `scf up`) also allows loopback, never private
networks, link-local or cloud-metadata addresses. Redirects are never followed. What the
participant sees of a failed attempt is "unreachable" or "HTTP <status>", never the
connection's error (refused, timed out, reset, ...), so the delivery log is no port
scanner; the gateway's own log keeps the detail for its operator.

Secrets are stored sealed (`keys.sealing`, a key derived from the keystore passphrase) and
opened only to sign a delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from scfledger.config import Settings
from scfledger.db.gateway_tables import Webhook, WebhookAttempt, WebhookDelivery
from scfledger.db.models import new_id
from scfledger.db.projections import ChainEvent, Member
from scfledger.db.session import transaction
from scfledger.exceptions import ActionForbidden, InvalidInput, RecordNotFound, SigningError
from scfledger.keys.sealing import Sealer, is_sealed
from scfledger.services.event_money import show_events
from scfledger.services.ledger import Actor
from scfledger.services.ledger_money import LedgerMoney
from scfledger.services.payment_refs import revealed
from scfledger.services.visibility import visible_events
from scfledger.services.webhook_destinations import destination_problem

log = logging.getLogger(__name__)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value of a delivery body sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


SIGNATURE_HEADER = "X-Scf-Signature"
TIMESTAMP_HEADER = "X-Scf-Timestamp"
DELIVERY_HEADER = "X-Scf-Delivery"
EVENT_HEADER = "X-Scf-Event"
MAX_BACKOFF = 3600.0
MAX_WEBHOOKS = 20
UNREACHABLE = "unreachable"  # the delivery log's only word for a failed connection

# -- subscriptions ---------------------------------------------------------------------


def create_webhook(
    *,
    session: Session,
    actor: Actor,
    url: str,
    event_names: list[str] | None,
    sealer: Sealer,
    allow_loopback: bool = False,
) -> tuple[Webhook, str]:
    """A new subscription of an active member, starting after the feed's current head;
    returns it with its secret (the only time the secret leaves the gateway), which is
    stored sealed by `sealer`."""
    if actor.status != "active":
        raise ActionForbidden(
            actor=actor.participant,
            action="subscribe to events",
            reason=f"member is {actor.status}",
        )
    count = session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.participant == actor.participant)
    )
    if (count or 0) >= MAX_WEBHOOKS:
        raise ActionForbidden(
            actor=actor.participant,
            action="subscribe to events",
            reason=f"at most {MAX_WEBHOOKS} webhooks per participant",
        )
    problem = destination_problem(url, allow_loopback=allow_loopback)
    if problem is not None:
        raise InvalidInput(problem)
    secret = new_secret()
    head = session.scalar(select(func.max(ChainEvent.id))) or 0
    webhook_id = new_id()
    webhook = Webhook(
        id=webhook_id,
        participant=actor.participant,
        address=actor.address,
        url=url,
        event_names=sorted(set(event_names)) if event_names else None,
        secret=sealer.seal(secret, webhook_id),
        cursor=head,
    )
    session.add(webhook)
    session.flush()
    return webhook, secret


def subscribe_webhook(
    *,
    sessions: sessionmaker[Session],
    actor: Actor,
    url: str,
    event_names: list[str] | None,
    sealer: Sealer,
    allow_loopback: bool,
) -> tuple[Webhook, str]:
    """`create_webhook` in a transaction of its own: the stored webhook and its secret."""
    with transaction(sessions) as session:
        return create_webhook(
            session=session,
            actor=actor,
            url=url,
            event_names=event_names,
            sealer=sealer,
            allow_loopback=allow_loopback,
        )


def unsubscribe_webhook(*, sessions: sessionmaker[Session], actor: Actor, webhook_id: str) -> None:
    """`delete_webhook` in a transaction of its own."""
    with transaction(sessions) as session:
        delete_webhook(session=session, actor=actor, webhook_id=webhook_id)


def list_webhooks(*, session: Session, actor: Actor) -> Sequence[Webhook]:
    return session.scalars(
        select(Webhook)
        .where(Webhook.participant == actor.participant)
        .order_by(Webhook.created_at, Webhook.id)
    ).all()


def own_webhook(*, session: Session, actor: Actor, webhook_id: str) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.participant != actor.participant:
        raise RecordNotFound(kind="webhook", key=webhook_id)
    return webhook


def delete_webhook(*, session: Session, actor: Actor, webhook_id: str) -> None:
    webhook = own_webhook(session=session, actor=actor, webhook_id=webhook_id)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == webhook.id)
    # Explicit, since SQLite enforces no foreign keys unless asked to.
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    session.delete(webhook)


def delivery_log(
    *, session: Session, actor: Actor, webhook_id: str, limit: int = 100
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The latest deliveries of one of the actor's webhooks, each with its attempts."""
    webhook = own_webhook(session=session, actor=actor, webhook_id=webhook_id)
    deliveries = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .order_by(WebhookDelivery.event_id.desc())
        .limit(limit)
    ).all()
    attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(attempts))
            .order_by(WebhookAttempt.attempt)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [(d, attempts[d.id]) for d in deliveries]


# -- dispatch ------------------------------------------------------------------------


def seal_plain_secrets(sessions: sessionmaker[Session], sealer: Sealer) -> int:
    """Seals the secrets of webhooks stored in the clear by earlier versions; returns how
    many (0 once done)."""
    with transaction(sessions) as session:
        plain = [w for w in session.scalars(select(Webhook)) if not is_sealed(w.secret)]
        for webhook in plain:
            webhook.secret = sealer.seal(webhook.secret, webhook.id)
        return len(plain)


@dataclass(frozen=True)
class _Due:
    delivery_id: str
    attempts: int
    url: str
    webhook_id: str
    sealed_secret: str
    event_name: str
    body: bytes


def _deliverable(
    session: Session, webhook: Webhook, events: Sequence[ChainEvent]
) -> list[ChainEvent]:
    """The events a webhook gets: those its participant sees in the feed (one rule,
    `visibility.visible_events`), of the names it chose; none while it is not an active
    member."""
    member = session.get(Member, webhook.address)
    if member is None or member.status != "active":
        return []
    actor = Actor(
        participant=webhook.participant,
        address=member.address,
        roles=member.roles,
        status=member.status,
    )
    names = webhook.event_names
    return [e for e in visible_events(session, actor, events) if names is None or e.name in names]


class WebhookDispatcher:
    """Queues the visible new events of every webhook and delivers what is due."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        sealer: Sealer,
        timeout: float = 5.0,
        max_attempts: int = 6,
        backoff: float = 2.0,
        poll_interval: float = 0.5,
        batch: int = 100,
        allow_loopback: bool = False,
        money: LedgerMoney | None = None,
    ) -> None:
        self.sessions = sessions
        # Shows events as the API does (currency codes, decimal-string amounts); None:
        # as stored (tests of delivery alone).
        self.money = money
        self.sealer = sealer
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.poll_interval = poll_interval
        self.batch = batch
        self.allow_loopback = allow_loopback
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(
        cls,
        sessions: sessionmaker[Session],
        settings: Settings,
        sealer: Sealer,
        *,
        money: LedgerMoney | None = None,
    ) -> WebhookDispatcher:
        return cls(
            sessions,
            sealer=sealer,
            money=money,
            timeout=settings.webhook_timeout,
            max_attempts=settings.webhook_max_attempts,
            backoff=settings.webhook_backoff,
            poll_interval=settings.webhook_poll_interval,
            allow_loopback=settings.webhook_allow_loopback,
        )

    def run_once(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
        """One step: queue new events, then attempt every due delivery. Returns the number
        of attempts made."""
        self.enqueue()
        due = self._due(now())
        if not due:
            return 0
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            for item in due:
                if self._stop.is_set():
                    break
                self._attempt(client, item, now)
        return len(due)

    def enqueue(self) -> int:
        """Turns the events after each webhook's cursor into deliveries; returns how many."""
        queued = 0
        with transaction(self.sessions) as session:
            # Another gateway replica enqueuing a webhook holds its row: skip it this pass
            # (PostgreSQL; SQLite has a single writer anyway).
            webhooks = session.scalars(
                select(Webhook).order_by(Webhook.id).with_for_update(skip_locked=True)
            )
            for webhook in webhooks:
                events = session.scalars(
                    select(ChainEvent)
                    .where(ChainEvent.id > webhook.cursor)
                    .order_by(ChainEvent.id)
                    .limit(self.batch)
                ).all()
                if not events:
                    continue
                webhook.cursor = events[-1].id
                deliverable = _deliverable(session, webhook, events)
                shown = self._shown(session, deliverable)
                clear = revealed(session, webhook.participant, [args for args, _ in shown])
                for event, (_, currency), args in zip(deliverable, shown, clear, strict=True):
                    delivery = WebhookDelivery(
                        webhook_id=webhook.id, event_id=event.id, event_name=event.name, body={}
                    )
                    session.add(delivery)
                    session.flush()
                    delivery.body = {
                        "delivery_id": delivery.id,
                        "webhook_id": webhook.id,
                        "event": {
                            "id": event.id,
                            "contract": event.contract,
                            "name": event.name,
                            "args": args,
                            "currency": currency,
                            "block_number": event.block_number,
                            "block_hash": event.block_hash,
                            "tx_hash": event.tx_hash,
                            "log_index": event.log_index,
                        },
                    }
                    queued += 1
        return queued

    def _shown(
        self, session: Session, events: Sequence[ChainEvent]
    ) -> list[tuple[dict[str, Any], str | None]]:
        if self.money is None:
            return [(e.args, None) for e in events]
        shown = show_events(session, self.money, [(e.contract, e.name, e.args) for e in events])
        return [(s.args, s.currency) for s in shown]

    def _due(self, now: datetime) -> list[_Due]:
        """Claims the due deliveries: each is leased (its next attempt moved past this
        attempt's timeout) in the transaction that selects it, with rows other replicas are
        claiming skipped, so one replica attempts it. A replica that dies mid-attempt leaves
        the lease to expire and another retries it (at least once; receivers deduplicate
        by X-Scf-Delivery)."""
        lease = now + timedelta(seconds=self.timeout * 2 + 30)
        with transaction(self.sessions) as session:
            rows = session.execute(
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.event_id)
                .limit(self.batch)
                .with_for_update(of=WebhookDelivery, skip_locked=True)
            ).all()
            for delivery, _webhook in rows:
                delivery.next_attempt_at = lease
            return [
                _Due(
                    delivery_id=d.id,
                    attempts=d.attempts,
                    url=w.url,
                    webhook_id=w.id,
                    sealed_secret=w.secret,
                    event_name=d.event_name,
                    body=encode(d.body),
                )
                for d, w in rows
            ]

    def _attempt(self, client: httpx.Client, item: _Due, now: Callable[[], datetime]) -> None:
        timestamp = str(int(time.time()))
        status_code: int | None = None
        # Checked before every attempt: a name may have been re-pointed since subscribing.
        error = destination_problem(item.url, allow_loopback=self.allow_loopback)
        if error is None:
            try:
                secret = self.sealer.open(item.sealed_secret, item.webhook_id)
            except SigningError:
                log.error("webhook %s: its secret does not open with this key", item.webhook_id)
                error = "the gateway cannot read this webhook's secret: subscribe again"
            else:
                status_code, error = self._post(client, item, secret, timestamp)
        attempt = item.attempts + 1
        moment = now()
        delivered = error is None
        next_at: datetime | None = None
        if not delivered and attempt < self.max_attempts:
            delay = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF)
            next_at = moment + timedelta(seconds=delay)
        with transaction(self.sessions) as session:
            delivery = session.get(WebhookDelivery, item.delivery_id)
            if delivery is None:
                return  # the webhook was deleted meanwhile
            delivery.attempts = attempt
            delivery.next_attempt_at = next_at
            if delivered:
                delivery.status, delivery.delivered_at = "delivered", moment
            elif next_at is None:
                delivery.status = "failed"
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    attempt=attempt,
                    status_code=status_code,
                    error=error,
                    attempted_at=moment,
                    next_attempt_at=next_at,
                )
            )
        if not delivered:
            log.info("webhook delivery %s attempt %d failed: %s", item.delivery_id, attempt, error)

    @staticmethod
    def _post(
        client: httpx.Client, item: _Due, secret: str, timestamp: str
    ) -> tuple[int | None, str | None]:
        """One signed POST: (HTTP status, error or None when it answered 2xx); a failed
        connection is only UNREACHABLE (its detail goes to the gateway's log)."""
        try:
            response = client.post(
                item.url,
                content=item.body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "scfledger-webhooks/1",
                    SIGNATURE_HEADER: sign(secret, timestamp, item.body),
                    TIMESTAMP_HEADER: timestamp,
                    DELIVERY_HEADER: item.delivery_id,
                    EVENT_HEADER: item.event_name,
                },
            )
        except Exception as exc:  # any failure to deliver is an attempt to log and retry
            log.info("webhook delivery %s: %s: %s", item.delivery_id, type(exc).__name__, exc)
            return None, UNREACHABLE
        if not 200 <= response.status_code < 300:
            return response.status_code, f"HTTP {response.status_code}"
        return response.status_code, None

    def run(self, stopped: Callable[[], bool]) -> None:
        """Steps until `stopped()`; an error of one step is logged and the loop goes on."""
        while not stopped():
            try:
                worked = self.run_once()
            except Exception:
                log.exception("webhook dispatcher step failed")
                worked = 0
            if not worked:
                self._stop.wait(self.poll_interval)

    def start(self) -> None:
        sealed = seal_plain_secrets(self.sessions, self.sealer)
        if sealed:
            log.info("sealed the secrets of %d webhooks stored in the clear", sealed)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run, args=(self._stop.is_set,), name="scf-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout + 5)
            self._thread = None
