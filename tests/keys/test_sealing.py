"""Sealed secrets: open only with their key and for their record; old clear ones get sealed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from scfledger.db.gateway_tables import Webhook
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.exceptions import SigningError
from scfledger.keys.sealing import Sealer, derive_key
from scfledger.services.webhooks import seal_plain_secrets

SECRET = "whsec_" + "s" * 43


def test_a_sealed_secret_opens_with_its_key_for_its_record_only() -> None:
    sealer = Sealer(derive_key("a passphrase of the keystore", "webhook-secrets"))
    sealed = sealer.seal(SECRET, "hook-1")
    assert sealed.startswith("v1.")
    assert SECRET not in sealed
    assert len(sealed) <= 128
    assert sealed != sealer.seal(SECRET, "hook-1")  # a fresh nonce each time
    assert sealer.open(sealed, "hook-1") == SECRET
    other_key = Sealer(derive_key("another passphrase entirely", "webhook-secrets"))
    other_purpose = Sealer(derive_key("a passphrase of the keystore", "something-else"))
    # A character in the middle: all six of its bits are data (near the end, base64's
    # padding bits may change without changing a byte).
    middle = len(sealed) // 2
    tampered = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    for opener, value, record in (
        (other_key, sealed, "hook-1"),
        (other_purpose, sealed, "hook-1"),
        (sealer, sealed, "hook-2"),  # copied onto another row
        (sealer, tampered, "hook-1"),
        (sealer, SECRET, "hook-1"),  # never sealed
    ):
        with pytest.raises(SigningError) as refused:
            opener.open(value, record)
        assert SECRET not in str(refused.value)
    assert "s" * 10 not in repr(sealer)


def test_secrets_stored_in_the_clear_are_sealed_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    sealer = Sealer(bytes(range(32)))
    with transaction(sessions) as session:  # as an earlier version stored it
        session.add(
            Webhook(id="hook-1", participant="p", address="0x" + "11" * 20,
                    url="https://example.org/h", event_names=None, secret=SECRET, cursor=0)
        )  # fmt: skip
    assert seal_plain_secrets(sessions, sealer) == 1
    assert seal_plain_secrets(sessions, sealer) == 0
    with sessions() as session:
        stored = session.scalar(select(Webhook.secret))
    assert stored is not None
    assert stored.startswith("v1.")
    assert sealer.open(stored, "hook-1") == SECRET
    engine.dispose()
    assert SECRET.encode() not in b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("gateway.sqlite3")
    )
