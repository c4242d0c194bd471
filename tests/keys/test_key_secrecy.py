"""Private keys never reach logs, CLI output, errors or operation records."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from scfledger.chain.calls import ContractCall
from scfledger.cli import app
from scfledger.db.models import Operation, Transaction
from scfledger.db.session import session_factory
from scfledger.exceptions import ScfError
from scfledger.keys.store import KeyStore
from scfledger.outbox.pipeline import Pipeline
from tests.support.gateway import TEST_PASSPHRASE, migrated_engine
from tests.support.ledger import DAY, Consortium


def _forms(key_hex: str) -> list[str]:
    bare = key_hex.removeprefix("0x")
    return [bare.lower(), bare.upper(), bare[:24].lower()]


def _assert_absent(key_hex: str, *texts: str) -> None:
    for text in texts:
        for form in _forms(key_hex):
            assert form not in text, "private key material leaked"


def test_keys_cli_never_prints_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SCF_KEYSTORE_PASSPHRASE", TEST_PASSPHRASE)
    monkeypatch.setenv("SCF_KEYSTORE_SCRYPT_N", "1024")
    monkeypatch.setenv("SCF_KEY_DIR", str(tmp_path / "keys"))
    key = "0x" + "ab" * 31 + "cd"
    runner = CliRunner()
    outputs = [
        runner.invoke(app, ["keys", "import", "carol"], input=key + "\n"),
        runner.invoke(app, ["keys", "import", "carol"], input=key + "\n"),  # exists
        runner.invoke(app, ["keys", "import", "dave"], input=key[:-2] + "zz\n"),  # not a key
        runner.invoke(app, ["keys", "list"]),
        runner.invoke(app, ["keys", "export-address", "carol"]),
        runner.invoke(app, ["keys", "new", "erin"]),
        runner.invoke(app, ["keys", "rotate", "carol"]),
    ]
    monkeypatch.setenv("SCF_KEYSTORE_PASSPHRASE", "not-the-right-passphrase")
    outputs.append(runner.invoke(app, ["keys", "list"]))

    assert [r.exit_code for r in outputs] == [0, 1, 1, 0, 0, 0, 0, 2]
    assert "does not open" in outputs[-1].output
    texts = [r.output for r in outputs] + [repr(r.exception) for r in outputs]
    _assert_absent(key, *texts, caplog.text)
    for path in (tmp_path / "keys").rglob("*.json"):
        _assert_absent(key, path.read_text())


def test_signing_and_failures_never_show_the_key(
    consortium: Consortium, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = consortium.eth_tester.backend.account_keys[3]  # admin... any funded account
    key_hex = key.to_hex()
    store = KeyStore(tmp_path / "keys", TEST_PASSPHRASE, scrypt_n=1024)
    store.import_key("core", key_hex)
    engine = migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    pipeline = Pipeline(w3=consortium.w3, sessions=session_factory(engine), signer_for=store.signer)
    call = ContractCall(
        "ReceivableToken",
        consortium.token.address,
        "issue",
        (consortium.supplier1, 5, b"CNY", consortium.now() + DAY, b"\x11" * 32),
    )
    seen: list[str] = []
    op = pipeline.submit(participant="core", idempotency_key="k", call=call)
    seen.append(repr(pipeline.wait(op.id, timeout=30)))
    seen += [repr(store), repr(store.signer("core")), str(store.signer("core"))]
    for action in (
        lambda: store.signer("core").sign_transaction({"nonce": "bad"}),
        lambda: KeyStore(store.directory, "x" * 20).signer("core"),
        lambda: store.import_key("core", key_hex),
    ):
        with pytest.raises(ScfError) as raised:
            action()
        seen += [str(raised.value), repr(raised.value)]
    signer = store.signer("core")
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    with session_factory(engine)() as session:
        rows = [repr(vars(o)) for o in session.scalars(select(Operation))]
        rows += [repr(vars(t)) for t in session.scalars(select(Transaction))]

    _assert_absent(key_hex, *seen, *rows, caplog.text)
    engine.dispose()
