"""What every use case takes: the acting member, the ledger (read model, pipeline, contract
addresses), the idempotency key; and the argument checks that read nothing.

The contracts decide every refusal of a write (role, status, state, the clock): a call they
refuse reverts at estimation, before a nonce is spent, and comes back as the problem of its
custom error (api/errors.py). Use cases check only what the chain cannot: what the caller
may see (services.visibility: 404), what the gateway alone knows (its documents, its
members' legal ids) and the shape of the input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from eth_utils.address import is_address, to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scfledger.chain.calls import ContractCall
from scfledger.chain.generated import Role
from scfledger.db.projections import ChainEvent, Member
from scfledger.exceptions import ActionForbidden, InvalidInput
from scfledger.outbox.operation import OperationView
from scfledger.outbox.pipeline import Pipeline
from scfledger.people.apikeys import Standing
from scfledger.people.person import Person

BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def role_names(roles: int) -> list[str]:
    """`0b1010` -> `["core_enterprise", "financier"]`."""
    return [role.name.lower() for role in Role if role.bit_count() == 1 and roles & role]


@dataclass(frozen=True)
class Actor:
    """The participant a request acts for: its gateway name and on-chain member record."""

    participant: str
    address: str
    roles: int
    status: str
    # The person (or service account) acting for the participant, and what its credential
    # allows; None only where code acts for a participant without a person (tests).
    person: Person | None = None

    @property
    def is_auditor(self) -> bool:
        return bool(self.roles & Role.AUDITOR)

    def require_active(self, action: str) -> None:
        """For what the gateway alone does (its API keys, documents, risk policies): only
        active members act, not one that is suspended or not (yet) admitted."""
        if self.status != "active":
            raise ActionForbidden(
                actor=self.participant, action=action, reason=f"member is {self.status}"
            )

    def require(self, role: Role, action: str) -> None:
        self.require_active(action)
        if not self.roles & role:
            raise ActionForbidden(
                actor=self.participant, action=action, reason=f"needs role {role_names(role)[0]}"
            )


@dataclass(frozen=True)
class Idempotency:
    """A write's idempotency key and the fingerprint of the request it came with: a key
    names one request, so the same key with another fingerprint is a conflict."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Contracts:
    registry: str
    token: str
    financing: str
    deposit_token: str | None = None  # where delivery versus payment settles on chain
    set_off: str | None = None  # set-off rounds (a deployment from before SetOff has none)

    @classmethod
    def of(cls, addresses: dict[str, str]) -> Contracts:
        return cls(
            registry=addresses["ConsortiumRegistry"],
            token=addresses["ReceivableToken"],
            financing=addresses["Financing"],
            deposit_token=addresses.get("DepositToken"),
            set_off=addresses.get("SetOff"),
        )


@dataclass(frozen=True)
class Ledger:
    """What the use cases need: the read model, the pipeline and the contract addresses."""

    sessions: sessionmaker[Session]
    pipeline: Pipeline
    contracts: Contracts


def actor_for(
    session: Session, *, participant: str, address: str, person: Person | None = None
) -> Actor:
    """The member behind a credential; a non-member can read nothing and act on nothing."""
    member = session.get(Member, to_checksum_address(address))
    standing = None if member is None else Standing(member.address, member.roles, member.status)
    return member_actor(standing, participant=participant, address=address, person=person)


def member_actor(
    member: Standing | None, *, participant: str, address: str, person: Person | None = None
) -> Actor:
    """`actor_for` with the member's record already read (None: not admitted)."""
    if member is None:
        return Actor(
            participant=participant,
            address=address,
            roles=0,
            status="not-admitted",
            person=person,
        )
    return Actor(
        participant=participant,
        address=member.address,
        roles=member.roles,
        status=member.status,
        person=person,
    )


def bytes32(value: str, field: str) -> bytes:
    """A 0x-prefixed 32-byte hex value, or the SHA-256 of any other text (a reference)."""
    if BYTES32.fullmatch(value):
        return bytes.fromhex(value[2:])
    if value.startswith("0x"):
        raise InvalidInput(f"{field} must be 32 bytes of hex (0x + 64 digits) or plain text")
    return hashlib.sha256(value.encode()).digest()


def checked_address(value: str, what: str = "address") -> str:
    """`value` checksummed, or InvalidInput when it is not an address."""
    checked = _checksummed(value) if len(value) <= 42 else None  # "0x" and 40 digits at most
    if checked is None:
        raise InvalidInput(f"{what} {value!r} is not an address")
    return checked


@lru_cache(maxsize=4096)
def _checksummed(value: str) -> str | None:
    """EIP-55 form of an address, None for anything else: a keccak or two each (~0.2 ms),
    and an ERP batch's lines name the same few creditors again and again."""
    return to_checksum_address(value) if is_address(value) else None


def submit(
    ledger: Ledger, actor: Actor, idempotency: Idempotency, call: ContractCall, kind: str
) -> OperationView:
    """Hands the call to the pipeline, which simulates it first: a call the contract refuses
    becomes a failed operation carrying the contract's error."""
    return ledger.pipeline.submit(
        participant=actor.participant,
        idempotency_key=idempotency.key,
        request_hash=idempotency.request_hash,
        call=call,
        kind=kind,
    )


def operation_events(session: Session, tx_hash: str | None) -> list[ChainEvent]:
    """The indexed events of an operation's transaction: the ids it created."""
    if tx_hash is None:
        return []
    return list(
        session.scalars(
            select(ChainEvent).where(ChainEvent.tx_hash == tx_hash).order_by(ChainEvent.log_index)
        )
    )
