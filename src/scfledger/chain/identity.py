"""Salted identity anchors: what the registry stores for a member's legal id and KYC file."""

from __future__ import annotations

import hashlib
import secrets

SALT_BYTES = 32


def new_salt() -> bytes:
    """A member's own random salt, kept by the member and its gateway, never on-chain."""
    return secrets.token_bytes(SALT_BYTES)


def identity_anchor(salt: bytes, identifier: str) -> bytes:
    """sha256(salt || identifier): the on-chain anchor of a legal id (e.g. a unified social
    credit code) or a KYC document reference. Without the salt a public identifier cannot be
    confirmed by hashing a candidate list; with it, the member proves which id it anchored."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"an identity salt is {SALT_BYTES} bytes, got {len(salt)}")
    return hashlib.sha256(salt + identifier.encode()).digest()
