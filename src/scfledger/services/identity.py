"""Members' salted identity anchors: the gateway keeps each member's salt (never shown)."""

from __future__ import annotations

from eth_utils.address import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from scfledger.chain.identity import identity_anchor, new_salt
from scfledger.db.gateway_tables import IdentitySalt
from scfledger.db.projections import Member


def salt_of(session: Session, address: str) -> bytes:
    """The member's salt, made on first use (the caller commits the session)."""
    account = to_checksum_address(address)
    row = session.get(IdentitySalt, account)
    if row is None:
        row = IdentitySalt(address=account, salt=new_salt().hex())
        session.add(row)
        session.flush()
    return bytes.fromhex(row.salt)


def anchors(session: Session, address: str, *, legal_id: str, kyc: str) -> tuple[bytes, bytes]:
    """The member's legal-id and KYC anchors, salted with its own salt."""
    salt = salt_of(session, address)
    return identity_anchor(salt, legal_id), identity_anchor(salt, kyc)


def holder_of_legal_id(session: Session, legal_id: str) -> str | None:
    """The member anchored with `legal_id` under a salt this gateway keeps, if any: a legal
    id admitted twice is refused before a proposal is spent (the registry can only compare
    anchors, which differ under different salts)."""
    salts = session.execute(select(IdentitySalt.address, IdentitySalt.salt)).all()
    by_anchor = {
        "0x" + identity_anchor(bytes.fromhex(salt), legal_id).hex(): address
        for address, salt in salts
    }
    if not by_anchor:
        return None
    return session.scalar(
        select(Member.address).where(Member.legal_id_hash.in_(list(by_anchor))).limit(1)
    )
