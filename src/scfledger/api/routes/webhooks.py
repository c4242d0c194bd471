"""`/v1/webhooks`: subscribe to chain events, list and delete subscriptions, the delivery log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Response

from scfledger.api.deps import Administrator, CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.schemas import (
    WebhookAttemptOut,
    WebhookCreated,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
)
from scfledger.services.webhooks import (
    delivery_log,
    list_webhooks,
    subscribe_webhook,
    unsubscribe_webhook,
)

if TYPE_CHECKING:  # a row type of the response builder only
    from scfledger.db.gateway_tables import Webhook

router = APIRouter(tags=["webhooks"], route_class=GuardedRoute)


def _out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=webhook.id,
        url=webhook.url,
        event_names=webhook.event_names,
        created_at=webhook.created_at,
    )


@router.post("/v1/webhooks", status_code=201)
def subscribe(body: WebhookIn, gateway: GatewayDep, actor: Administrator) -> WebhookCreated:
    """Delivers the chain events the caller may see (those naming its address; auditors:
    all), from now on, signed with the returned secret, which is shown only here."""
    webhook, secret = subscribe_webhook(
        sessions=gateway.sessions,
        actor=actor,
        url=body.url,
        event_names=body.event_names,
        sealer=gateway.sealer,
        allow_loopback=gateway.settings.webhook_allow_loopback,
    )
    return WebhookCreated(**_out(webhook).model_dump(), secret=secret)


@router.get("/v1/webhooks")
def webhooks(gateway: GatewayDep, actor: CurrentActor) -> list[WebhookOut]:
    """The caller's own webhooks (never their secrets)."""
    with gateway.sessions() as session:
        return [_out(w) for w in list_webhooks(session=session, actor=actor)]


@router.delete("/v1/webhooks/{webhook_id}", status_code=204)
def unsubscribe(webhook_id: str, gateway: GatewayDep, actor: Administrator) -> Response:
    """Deletes one of the caller's webhooks with its delivery log."""
    unsubscribe_webhook(sessions=gateway.sessions, actor=actor, webhook_id=webhook_id)
    return Response(status_code=204)


@router.get("/v1/webhooks/{webhook_id}/deliveries")
def deliveries(
    webhook_id: str, gateway: GatewayDep, actor: CurrentActor
) -> list[WebhookDeliveryOut]:
    """The latest 100 deliveries of one of the caller's webhooks, newest event first, each
    with every attempt (status code or error, and when the next one is due)."""
    with gateway.sessions() as session:
        return [
            WebhookDeliveryOut(
                id=delivery.id,
                event_id=delivery.event_id,
                event_name=delivery.event_name,
                status=delivery.status,
                next_attempt_at=delivery.next_attempt_at,
                delivered_at=delivery.delivered_at,
                attempts=[
                    WebhookAttemptOut(
                        attempt=a.attempt,
                        status_code=a.status_code,
                        error=a.error,
                        attempted_at=a.attempted_at,
                        next_attempt_at=a.next_attempt_at,
                    )
                    for a in attempts
                ],
            )
            for delivery, attempts in delivery_log(
                session=session, actor=actor, webhook_id=webhook_id
            )
        ]
