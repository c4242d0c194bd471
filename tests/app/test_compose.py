"""The composition root: every setting arrives in the part that uses it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr, ValidationError
from sqlalchemy import Engine
from typer.testing import CliRunner

from scfledger.api.gateway import Gateway
from scfledger.app.compose import Deployment, build_app, build_gateway
from scfledger.cli import app as scf
from scfledger.config import Settings, load_settings
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine
from scfledger.exceptions import ChainUnavailable, ConfigurationError
from scfledger.keys.store import KeyStore
from scfledger.outbox.faucet import GasFaucet

PASSPHRASE = "test-passphrase-not-secret"
# Nothing listens on the discard port: the connection is built, never answered.
DEAD_NODE = "http://127.0.0.1:9"
DEPLOYMENT = Deployment(
    {
        "ConsortiumRegistry": "0x" + "0" * 39 + "1",
        "ReceivableToken": "0x" + "0" * 39 + "2",
        "Financing": "0x" + "0" * 39 + "3",
    },
    start_block=17,
)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return create_db_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys", PASSPHRASE, scrypt_n=2**10)


def built(engine: Engine, keys: KeyStore, **settings: object) -> Gateway:
    return build_gateway(
        Settings(chain_url=DEAD_NODE, **settings),  # type: ignore[arg-type]
        DEPLOYMENT,
        engine=engine,
        keys=keys,
    )


def test_chain_url_and_timeout_arrive_at_the_connection(engine: Engine, keys: KeyStore) -> None:
    gateway = built(engine, keys, chain_timeout=7.5)
    provider = gateway.w3.provider
    assert provider.endpoint_uri == DEAD_NODE  # type: ignore[attr-defined]
    assert provider.get_request_kwargs()["timeout"] == 7.5  # type: ignore[attr-defined]


def test_chain_retries_arrive_at_the_connection(engine: Engine, keys: KeyStore) -> None:
    gateway = built(engine, keys, chain_retries=4, chain_backoff=0)
    with pytest.raises(ChainUnavailable) as refused:
        _ = gateway.w3.eth.block_number
    assert refused.value.attempts == 5  # the first try and four retries


def test_chain_backoff_arrives_at_the_connection(engine: Engine, keys: KeyStore) -> None:
    gateway = built(engine, keys, chain_backoff=0.125, chain_retries=2)
    policy = gateway.w3.middleware_onion.get("retry").retry_policy  # type: ignore[union-attr]
    assert (policy.backoff, policy.retries) == (0.125, 2)


@pytest.mark.parametrize(("mode", "tip"), [("legacy", None), ("eip1559", 3_000_000_000)])
def test_fee_settings_arrive_at_the_pipeline_fee_policy(
    engine: Engine, keys: KeyStore, mode: str, tip: int | None
) -> None:
    gateway = built(engine, keys, fee_mode=mode, priority_fee_wei=tip)
    assert (gateway.pipeline.fees.mode, gateway.pipeline.fees.priority_fee) == (mode, tip)


def test_gas_margin_stuck_after_and_poll_interval_arrive_at_the_pipeline(
    engine: Engine, keys: KeyStore
) -> None:
    gateway = built(engine, keys, gas_margin=1.75, tx_stuck_after=12.5, pipeline_poll_interval=0.4)
    pipeline = gateway.pipeline
    assert (pipeline.intake.gas_margin, pipeline.stuck_after, pipeline.poll_interval) == (
        1.75,
        12.5,
        0.4,
    )


def test_indexer_settings_arrive_at_the_indexer(engine: Engine, keys: KeyStore) -> None:
    gateway = built(engine, keys, indexer_confirmations=3, indexer_poll_interval=0.3)
    assert gateway.indexer.config.confirmations == 3
    assert gateway.indexer.config.start_block == DEPLOYMENT.start_block
    assert dict(gateway.indexer.config.contracts) == DEPLOYMENT.contracts
    assert gateway.indexer_poll == 0.3


def test_webhook_settings_arrive_at_the_dispatcher(engine: Engine, keys: KeyStore) -> None:
    gateway = built(
        engine,
        keys,
        webhook_timeout=1.5,
        webhook_max_attempts=9,
        webhook_backoff=0.5,
        webhook_poll_interval=0.75,
        webhook_allow_loopback=True,
    )
    webhooks = gateway.webhooks
    assert (webhooks.timeout, webhooks.max_attempts, webhooks.backoff) == (1.5, 9, 0.5)
    assert (webhooks.poll_interval, webhooks.allow_loopback) == (0.75, True)


def test_request_time_settings_are_the_gateway_settings(engine: Engine, keys: KeyStore) -> None:
    """Documents, event streams and metrics read `gateway.settings` on each request."""
    token = SecretStr("metrics-token-for-tests")
    gateway = built(engine, keys, sse_streams_per_key=9, metrics_token=token)
    assert gateway.settings.sse_streams_per_key == 9
    assert gateway.settings.metrics_token == token


def test_no_gas_money_unless_a_dev_chain_or_a_faucet_is_set(engine: Engine, keys: KeyStore) -> None:
    assert built(engine, keys).provision is None
    assert built(engine, keys, dev_chain=True).provision is not None


def test_gas_faucet_and_grant_arrive_at_the_provision(engine: Engine, keys: KeyStore) -> None:
    faucet = keys.import_key("treasury", Account.create().key)
    gateway = built(
        engine,
        keys,
        gas_faucet="treasury",
        gas_grant_wei=5 * 10**18,
        fee_mode="zero",
    )
    provision = gateway.provision
    assert isinstance(provision, GasFaucet)
    assert (provision.signer.address, provision.amount) == (faucet, 5 * 10**18)
    assert provision.fees.mode == "zero"


def test_database_keystore_and_manifest_settings_arrive_in_the_served_app(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    upgrade(database)
    manifest = tmp_path / "deployment.json"
    contracts = {name: {"address": address} for name, address in DEPLOYMENT.contracts.items()}
    manifest.write_text(json.dumps({"deploymentBlock": 17, "contracts": contracts}))
    settings = Settings(
        chain_url=DEAD_NODE,
        database_url=database,
        key_dir=tmp_path / "served-keys",
        keystore_passphrase=SecretStr(PASSPHRASE),
        keystore_scrypt_n=2**10,
        deployment_manifest=manifest,
    )
    gateway: Gateway = build_app(settings).state.gateway
    try:
        assert str(gateway.engine.url) == database
        assert gateway.keys.directory == tmp_path / "served-keys"
        assert gateway.indexer.config.start_block == 17
        assert gateway.contracts.registry == DEPLOYMENT.contracts["ConsortiumRegistry"]
        assert gateway.settings is settings
    finally:
        gateway.engine.dispose()


def test_scf_serve_options_become_settings(tmp_path: Path) -> None:
    """`--manifest` reaches the composition root, which refuses a missing one (status 2)."""
    missing = tmp_path / "no-such-deployment.json"
    outcome = CliRunner().invoke(
        scf,
        ["serve", "--rpc", DEAD_NODE, "--manifest", str(missing)],
        env={"SCF_KEYSTORE_PASSPHRASE": PASSPHRASE, "COLUMNS": "300"},
    )
    assert outcome.exit_code == 2, outcome.output
    printed = "".join(outcome.output.split())  # rich wraps long lines at any character
    assert "".join(f"cannot read deployment manifest {missing}".split()) in printed


def test_currencies_arrive_at_the_ledgers_money_and_the_webhooks(
    engine: Engine, keys: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SCF_CURRENCIES (a comma list, read from the environment) is what issuing accepts and
    what the webhooks show events with; the first is the deposit token's currency."""
    monkeypatch.setenv("SCF_CURRENCIES", "HKD, CNY")
    gateway = build_gateway(Settings(chain_url=DEAD_NODE), DEPLOYMENT, engine=engine, keys=keys)
    assert gateway.money.accepted == ("HKD", "CNY")
    assert gateway.money.base == "HKD"
    assert gateway.webhooks.money is gateway.money
    assert Settings().currencies == ("HKD", "CNY")
    monkeypatch.setenv("SCF_CURRENCIES", "HKD,XYZ")
    with pytest.raises(ConfigurationError, match="XYZ"):
        load_settings()


def test_the_holiday_notice_arrives_at_the_gateways_calendars(
    engine: Engine, keys: KeyStore, tmp_path: Path
) -> None:
    """A made-up notice for 2027 (not the State Council's): China's calendar reaches 2027."""
    notice = tmp_path / "notice.json"
    notice.write_text(
        json.dumps({"years": [2027], "holidays": {"2027-05-03": "Labour Day"}, "working_days": {}})
    )
    assert built(engine, keys).calendars.named("china").years == (2004, 2026)
    extended = built(engine, keys, holiday_notice=notice).calendars.named("china")
    assert extended.years == (2004, 2027)
    assert not extended.is_business_day(date(2027, 5, 3))


def test_a_bad_holiday_notice_stops_the_gateway_at_start(tmp_path: Path) -> None:
    notice = tmp_path / "notice.json"
    bad_date = {"years": [2027], "holidays": {"2027-5-3": "x"}, "working_days": {}}
    notice.write_text(json.dumps(bad_date))
    with pytest.raises(ValidationError, match=r"'2027-5-3' is no YYYY-MM-DD date"):
        Settings(holiday_notice=notice)
    with pytest.raises(ValidationError, match=r"holiday notice .*absent\.json: "):
        Settings(holiday_notice=tmp_path / "absent.json")
