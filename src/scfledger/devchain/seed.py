"""A demo consortium on a local chain: `scf up` and tests."""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from sqlalchemy import Engine
from web3 import Web3

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.chain.deploy import InitialAdmin, deploy_ledger
from scfledger.chain.deployment import deployed_contracts
from scfledger.chain.generated import Role
from scfledger.chain.governance import govern_all
from scfledger.chain.tx import Sender
from scfledger.db.session import session_factory, transaction
from scfledger.keys.sealing import Sealer
from scfledger.keys.store import KeyStore
from scfledger.outbox.faucet import set_balance
from scfledger.people.apikeys import create_api_key
from scfledger.people.policy import NO_CHECKER, set_policy
from scfledger.people.users import create_user
from scfledger.services import identity
from scfledger.services.participants import Provision

DEMO_MEMBERS: dict[str, int] = {
    "core": Role.CORE_ENTERPRISE,
    "supplier1": Role.SUPPLIER,
    "supplier2": Role.SUPPLIER,
    "supplier3": Role.SUPPLIER,
    "bank": Role.FINANCIER,
    "auditor": Role.AUDITOR,
}
ADMINS = ("admin1", "admin2", "admin3")
# The people of every demo participant (docs/people.md): username -> roles. The auditor
# also has a read-only `viewer`.
DEMO_PEOPLE: dict[str, tuple[str, ...]] = {
    "admin": ("admin", "checker"),
    "maker": ("maker",),
    "checker": ("checker",),
}
VIEWER_OF = ("auditor",)


def demo_legal_id(name: str) -> str:
    """A made-up unified social credit code of a demo member (public: anchored salted)."""
    return f"91310000DEMO{zlib.crc32(name.encode()):010d}"


@dataclass(frozen=True)
class DemoPerson:
    """A seeded person and its secrets (a demo's: written to a 0600 file by `scf up`)."""

    participant: str
    username: str
    roles: tuple[str, ...]
    password: str
    totp_secret: str | None  # admins and checkers sign in with a second factor

    def as_json(self) -> dict[str, object]:
        return {
            "roles": list(self.roles),
            "password": self.password,
            "totpSecret": self.totp_secret,
        }


@dataclass(frozen=True)
class Seeded:
    contracts: dict[str, str]
    deployment_block: int
    addresses: dict[str, str]
    api_keys: dict[str, str]
    # participant -> username -> person (empty unless seed_demo was asked for people)
    people: dict[str, dict[str, DemoPerson]] = field(default_factory=dict)


def seed_people(
    engine: Engine, sealer: Sealer, participants: Iterable[str]
) -> dict[str, dict[str, DemoPerson]]:
    """The demo people of each participant (DEMO_PEOPLE, and a viewer for VIEWER_OF), with
    random passwords and, for admins and checkers, second-factor secrets sealed by `sealer`
    (the gateway's). Passwords are argon2id-hashed: about a tenth of a second each."""
    people: dict[str, dict[str, DemoPerson]] = {}
    with transaction(session_factory(engine)) as session:
        for participant in participants:
            chosen = dict(DEMO_PEOPLE)
            if participant in VIEWER_OF:
                chosen["viewer"] = ("viewer",)
            people[participant] = {}
            for username, roles in chosen.items():
                password = secrets.token_urlsafe(12)  # 16 characters
                _, enrolment = create_user(
                    session,
                    participant=participant,
                    username=username,
                    roles=list(roles),
                    sealer=sealer,
                    password=password,
                    display_name=f"{username.capitalize()} of {participant}",
                )
                people[participant][username] = DemoPerson(
                    participant=participant,
                    username=username,
                    roles=roles,
                    password=password,
                    totp_secret=None if enrolment is None else enrolment.secret,
                )
    return people


def seed_demo(
    w3: Web3,
    keys: KeyStore,
    engine: Engine,
    members: dict[str, int] | None = None,
    *,
    provision: Provision | None = None,
    deployer: Sender | None = None,
    maker_checker: bool = True,
    people: bool = False,
) -> Seeded:
    """Deploys from `deployer` (default: the node's first unlocked account, as on anvil);
    the three founding admins (two of which pass each proposal) and every member are
    gateway participants with a keystore key, an API key and gas money from `provision`
    (default: anvil_setBalance). Members are admitted with their roles by admin1's
    proposals that admin2 approves. With `people`, every participant also has the demo
    people of seed_people (`scf up`; tests that sign in as people).

    With `maker_checker` (`scf up`) every participant has the default maker-checker policy
    (people.policy.DEFAULT_POLICY); without it, an explicit policy that checks nothing, so
    its service account's writes go straight on (tests that are not about maker-checker)."""
    members = DEMO_MEMBERS if members is None else members
    provision = set_balance(w3) if provision is None else provision
    sessions = session_factory(engine)
    addresses: dict[str, str] = {}
    api_keys: dict[str, str] = {}

    signers: dict[str, LocalAccount] = {}

    def participant(name: str) -> ChecksumAddress:
        signers[name] = Account.create()
        address = keys.import_key(name, signers[name].key)
        provision(address)
        addresses[name] = address
        with transaction(sessions) as session:
            api_keys[name] = create_api_key(session=session, participant=name, address=address)
            if not maker_checker:
                set_policy(session, name, NO_CHECKER, by="seed")
        return address

    def anchors(name: str) -> tuple[bytes, bytes]:
        """The member's salted identity anchors; the gateway keeps its salt."""
        with transaction(sessions) as session:
            return identity.anchors(
                session, addresses[name], legal_id=demo_legal_id(name), kyc=f"kyc file of {name}"
            )

    admins = []
    for name in ADMINS:
        address = participant(name)
        admins.append(InitialAdmin(address, name, *anchors(name)))
    deployer = w3.eth.accounts[0] if deployer is None else deployer
    ledger = deploy_ledger(w3, deployer=deployer, admins=admins)
    proposer, approver = (signers[name] for name in ADMINS[:2])
    admissions = [
        ledger.registry.functions.admitMember(participant(name), name, *anchors(name), roles)
        for name, roles in members.items()
    ]
    govern_all(w3, ledger.registry, admissions, proposer=proposer, approvers=[approver])
    return Seeded(
        contracts={k: str(v) for k, v in deployed_contracts(ledger).items()},
        deployment_block=ledger.deployment_block,
        addresses=addresses,
        api_keys=api_keys,
        people=seed_people(engine, keys.sealer(WEBHOOK_SECRETS), addresses) if people else {},
    )
