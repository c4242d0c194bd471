"""The second factor: RFC 6238 time-based one-time codes (pyotp), each usable once."""

from __future__ import annotations

import time

import pyotp

ISSUER = "scfledger"
STEP = 30  # seconds per code
WINDOW = 1  # codes of the step before and after are accepted too (clock drift)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, username: str, participant: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username}@{participant}", issuer_name=ISSUER)


def verify(secret: str, code: str, *, last_step: int | None, at: float | None = None) -> int | None:
    """The time step of `code` when it is valid within WINDOW steps of `at` (now) and later
    than `last_step` (the step of the last code accepted: a code is used once), else None."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    now = time.time() if at is None else at
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(now // STEP)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if totp.verify(code, for_time=step * STEP, valid_window=0):
            return step
    return None
