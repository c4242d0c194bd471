"""Participant keystores: create, import, list, rotate, passphrase checks."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr

from scfledger.config import Settings
from scfledger.exceptions import InvalidPassphrase, KeyAlreadyExists, KeyNotFound, SigningError
from scfledger.keys.store import KeyStore
from tests.support.gateway import TEST_PASSPHRASE, TEST_SCRYPT_N

KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys", TEST_PASSPHRASE, scrypt_n=TEST_SCRYPT_N)


def test_new_key_is_a_scrypt_v3_keystore_readable_only_by_its_owner(store: KeyStore) -> None:
    address = store.new("alice")

    path = store.path("alice")
    keystore = json.loads(path.read_text())
    assert keystore["version"] == 3
    assert keystore["crypto"]["kdf"] == "scrypt"
    assert "0x" + keystore["address"].lower() == address.lower()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700


def test_imported_key_signs_as_its_address(store: KeyStore) -> None:
    address = store.import_key("bob", KEY)

    assert address == Account.from_key(KEY).address
    fresh = KeyStore(store.directory, TEST_PASSPHRASE)
    assert fresh.signer("bob").address == address


def test_list_reads_addresses_without_the_passphrase(store: KeyStore) -> None:
    a, b = store.new("alice"), store.new("bob")

    listed = KeyStore(store.directory, "wrong-passphrase-entirely").list()

    assert [(k.participant, k.address) for k in listed] == [("alice", a), ("bob", b)]


def test_second_key_for_a_participant_is_refused(store: KeyStore) -> None:
    address = store.new("alice")

    with pytest.raises(KeyAlreadyExists) as raised:
        store.import_key("alice", KEY)

    assert raised.value.address == address


def test_rotate_retires_the_old_keystore(store: KeyStore) -> None:
    old = store.new("alice")

    before, after = store.rotate("alice")

    assert before == old
    assert after != old
    assert store.address("alice") == after
    retired = list((store.directory / "retired").glob("alice-*.json"))
    assert len(retired) == 1
    assert old in retired[0].name
    assert [k.participant for k in store.list()] == ["alice"]


def test_unknown_participant_and_bad_names_are_refused(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound):
        store.signer("nobody")
    with pytest.raises(SigningError, match="invalid participant name"):
        store.new("../escape")


def test_wrong_passphrase_is_found_at_start(store: KeyStore) -> None:
    store.new("alice")

    with pytest.raises(InvalidPassphrase, match=r"does not open alice\.json"):
        KeyStore(store.directory, "another-long-passphrase").validate()


def test_passphrase_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "passphrase"
    secret_file.write_text("from-a-secrets-file\n")

    assert Settings(keystore_passphrase=SecretStr("x" * 12)).keystore_passphrase_value() == "x" * 12
    assert (
        Settings(keystore_passphrase_file=secret_file).keystore_passphrase_value()
        == "from-a-secrets-file"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(), "no keystore passphrase"),
        (Settings(keystore_passphrase=SecretStr("short")), "at least 12 characters"),
        (
            Settings(keystore_passphrase_file=Path("/nonexistent/pass")),
            "cannot read passphrase file",
        ),
    ],
)
def test_missing_or_weak_passphrase_is_refused(settings: Settings, message: str) -> None:
    with pytest.raises(InvalidPassphrase, match=message):
        settings.keystore_passphrase_value()


def test_both_passphrase_sources_at_once_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        Settings(keystore_passphrase=SecretStr("x" * 12), keystore_passphrase_file=tmp_path / "p")
