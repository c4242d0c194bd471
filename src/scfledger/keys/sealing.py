"""Seals secrets the gateway must keep readable (webhook signing secrets) before they are
stored: AES-256-GCM under a key derived from the keystore passphrase, bound to the record.

A sealed value reads `v1.<base64url of nonce | ciphertext | tag>`; the record's id is the
associated data, so a sealed secret copied onto another row does not open there. The
passphrase never reaches the database: a copy of it (a backup, a dump, a leaked file)
reveals no secret.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from Crypto.Cipher import AES

from scfledger.exceptions import SigningError

VERSION = "v1."
NONCE_BYTES = 12
TAG_BYTES = 16
# scrypt, run once per gateway process: ~50 ms and 16 MiB. The salt names the purpose, so
# this key is never the key of anything else derived from the same passphrase.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}


def derive_key(passphrase: str, purpose: str) -> bytes:
    """A 256-bit key for `purpose` from the keystore passphrase."""
    salt = f"scfledger/{purpose}".encode()
    return hashlib.scrypt(passphrase.encode(), salt=salt, **_SCRYPT)


class Sealer:
    """Seals and opens short secrets with one key. Its repr shows nothing of the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("a sealing key is 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Sealer(...)"

    def seal(self, secret: str, record: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
        cipher.update(record.encode())
        ciphertext, tag = cipher.encrypt_and_digest(secret.encode())
        return VERSION + base64.urlsafe_b64encode(nonce + ciphertext + tag).decode()

    def open(self, sealed: str, record: str) -> str:
        """The secret sealed for `record`; SigningError if it was sealed with another key,
        for another record, or altered."""
        if not sealed.startswith(VERSION):
            raise SigningError(f"secret of {record} is not sealed")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(VERSION) :])
            nonce, body = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
            ciphertext, tag = body[:-TAG_BYTES], body[-TAG_BYTES:]
            cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
            cipher.update(record.encode())
            return cipher.decrypt_and_verify(ciphertext, tag).decode()
        except (ValueError, UnicodeDecodeError):
            raise SigningError(f"secret of {record} does not open with this key") from None


def is_sealed(value: str) -> bool:
    return value.startswith(VERSION)
