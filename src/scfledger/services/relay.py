"""Non-custodial writes: a member signs its own transaction and the gateway relays it."""

from __future__ import annotations

from scfledger.outbox.operation import OperationView
from scfledger.services.ledger import Actor, Idempotency, Ledger


def relay_transaction(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, raw_transaction: str
) -> OperationView:
    """Relays a transaction signed by the caller's own key (its registered address).

    The gateway checks the signer is the caller and that it does not also sign for that
    account (two nonce authorities would collide), records an operation, broadcasts it and
    follows it to `mined`/`indexed` or `failed` with the decoded error like any other write.
    The contracts check everything else: the gateway cannot estimate for a signed payload.
    """
    actor.require_active("relay transactions")
    return ledger.pipeline.relay(
        participant=actor.participant,
        participant_address=actor.address,
        idempotency_key=idempotency.key,
        raw_transaction=bytes.fromhex(raw_transaction.removeprefix("0x")),
        request_hash=idempotency.request_hash,
    )
