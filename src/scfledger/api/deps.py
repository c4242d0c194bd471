"""FastAPI dependencies: the gateway, the authenticated participant, the idempotency key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from scfledger.api.gateway import Gateway
from scfledger.exceptions import AuthenticationRequired, MissingIdempotencyKey
from scfledger.services.apikeys import authenticate
from scfledger.services.ledger import Actor, actor_for


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def current_actor(
    request: Request,
    gateway: GatewayDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Actor:
    """The participant of the bearer API key, with its on-chain roles from the index. The
    key's id is kept in `request.state.api_key_id` for limits per key (event streams).

    Once per request: a route that takes a body authenticates before reading it
    (`api.guard.GuardedRoute`) and keeps the actor in the request's state."""
    known = getattr(request.state, "actor", None)
    if isinstance(known, Actor):
        return known
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise AuthenticationRequired("send Authorization: Bearer <API key>")
    with gateway.sessions() as session:
        row = authenticate(session=session, key=key.strip())
        if row is None:
            raise AuthenticationRequired("unknown or revoked API key")
        request.state.api_key_id = row.id
        return actor_for(session, participant=row.participant, address=row.address)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str:
    if key is None or not 1 <= len(key) <= 128 or not key.isprintable():
        raise MissingIdempotencyKey()
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]
