"""The composition root: every part of the gateway built from one Settings, here only.

Each setting is read by exactly one builder below; tests/app/test_compose.py proves that
each one arrives where it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from eth_utils.address import to_checksum_address
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from scfledger.api.app import create_app
from scfledger.api.gateway import WEBHOOK_SECRETS, Gateway
from scfledger.chain.deploy import contract_at
from scfledger.chain.deployment import load_manifest
from scfledger.chain.fees import FeePolicy
from scfledger.chain.node import connect
from scfledger.config import Settings
from scfledger.db.migrate import require_current
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.keys.store import KeyStore, Signer
from scfledger.outbox.faucet import GasFaucet, set_balance
from scfledger.outbox.pipeline import Pipeline
from scfledger.pricing.calendars import Calendars, HolidayNotice
from scfledger.risk.clock import IndexClock
from scfledger.services import drafts
from scfledger.services.ledger import Contracts
from scfledger.services.ledger_money import LedgerMoney
from scfledger.services.participants import Provision
from scfledger.services.webhooks import WebhookDispatcher


@dataclass(frozen=True)
class Deployment:
    """The contracts a gateway serves (artifact name -> address) and their first block."""

    contracts: dict[str, str]
    start_block: int

    @classmethod
    def from_manifest(cls, path: Path) -> Deployment:
        """The deployment a manifest records (`scf deploy`, `scf up`); DeploymentError if
        it cannot be read."""
        manifest = load_manifest(path)
        return cls(
            contracts={name: entry["address"] for name, entry in manifest["contracts"].items()},
            start_block=int(manifest["deploymentBlock"]),
        )


def connect_chain(settings: Settings) -> Web3:
    """The gateway's one web3 connection: SCF_CHAIN_URL, _TIMEOUT, _RETRIES, _BACKOFF."""
    return connect(
        settings.chain_url,
        timeout=settings.chain_timeout,
        retries=settings.chain_retries,
        backoff=settings.chain_backoff,
    )


def fee_policy(settings: Settings, w3: Web3) -> FeePolicy:
    """Fees of everything the gateway sends: SCF_FEE_MODE, SCF_PRIORITY_FEE_WEI."""
    return FeePolicy(w3, mode=settings.fee_mode, priority_fee=settings.priority_fee_wei)


def build_pipeline(
    settings: Settings,
    *,
    w3: Web3,
    sessions: sessionmaker[Session],
    signer_for: Callable[[str], Signer],
) -> Pipeline:
    """The write path: fees, gas margin, when a transaction is stuck, how often it looks."""
    return Pipeline(
        w3=w3,
        sessions=sessions,
        signer_for=signer_for,
        fee_mode=settings.fee_mode,
        priority_fee=settings.priority_fee_wei,
        gas_margin=settings.gas_margin,
        stuck_after=settings.tx_stuck_after,
        poll_interval=settings.pipeline_poll_interval,
    )


def build_indexer(
    settings: Settings, *, w3: Web3, sessions: sessionmaker[Session], deployment: Deployment
) -> Indexer:
    """The indexer of `deployment`, reading SCF_INDEXER_CONFIRMATIONS blocks deep."""
    config = IndexerConfig(
        contracts=deployment.contracts,
        start_block=deployment.start_block,
        confirmations=settings.indexer_confirmations,
    )
    return Indexer(w3, sessions, config)


def build_provision(settings: Settings, *, w3: Web3, keys: KeyStore) -> Provision | None:
    """Gas money for participants created over the API: set on a dev chain, sent by the
    SCF_GAS_FAUCET account elsewhere (SCF_GAS_GRANT_WEI each), else none."""
    if settings.dev_chain:
        return set_balance(w3, settings.gas_grant_wei)
    if settings.gas_faucet is not None:
        signer = keys.signer(settings.gas_faucet)
        return GasFaucet(w3, signer, settings.gas_grant_wei, fees=fee_policy(settings, w3))
    return None


def ledger_money(settings: Settings, *, w3: Web3, deployment: Deployment) -> LedgerMoney:
    """The currencies SCF_CURRENCIES accepts, on the deployment's value decimals (read
    from its ReceivableToken when first needed: the gateway starts with the chain down)."""
    token = contract_at(
        w3, "ReceivableToken", to_checksum_address(deployment.contracts["ReceivableToken"])
    )
    return LedgerMoney(
        accepted=settings.currencies,
        read_value_decimals=lambda: int(token.functions.valueDecimals().call()),
    )


def build_gateway(
    settings: Settings,
    deployment: Deployment,
    *,
    engine: Engine | None = None,
    keys: KeyStore | None = None,
) -> Gateway:
    """A gateway over `deployment`: one web3 connection, pipeline, indexer and webhook
    dispatcher. The database and the keystore come from `settings` unless given (a caller
    that already opened them, e.g. to seed a demo)."""
    engine = create_db_engine(settings.database_url) if engine is None else engine
    keys = KeyStore.from_settings(settings) if keys is None else keys
    w3 = connect_chain(settings)
    sessions = session_factory(engine)
    sealer = keys.sealer(WEBHOOK_SECRETS)
    money = ledger_money(settings, w3=w3, deployment=deployment)
    gateway = Gateway(
        w3=w3,
        engine=engine,
        sessions=sessions,
        settings=settings,
        pipeline=build_pipeline(settings, w3=w3, sessions=sessions, signer_for=keys.signer),
        indexer=build_indexer(settings, w3=w3, sessions=sessions, deployment=deployment),
        contracts=Contracts.of(deployment.contracts),
        indexer_poll=settings.indexer_poll_interval,
        keys=keys,
        sealer=sealer,
        webhooks=WebhookDispatcher.from_settings(sessions, settings, sealer, money=money),
        clock=IndexClock(w3),
        money=money,
        calendars=Calendars(
            None if settings.holiday_notice is None else HolidayNotice.read(settings.holiday_notice)
        ),
        provision=build_provision(settings, w3=w3, keys=keys),
    )
    # Approved drafts a dead process never submitted: at start, then every minute.
    resume = partial(drafts.resume_approved, gateway.ledger, sealer=sealer)
    gateway.pipeline.resumers.append(resume)
    return gateway


def build_app(settings: Settings) -> FastAPI:
    """The API over the deployment of SCF_DEPLOYMENT_MANIFEST, with its running parts;
    refuses (ScfError) a database not migrated to the current schema, a wrong passphrase
    or an unreadable manifest."""
    deployment = Deployment.from_manifest(settings.deployment_manifest)
    engine = create_db_engine(settings.database_url)
    require_current(engine)
    return create_app(build_gateway(settings, deployment, engine=engine))
