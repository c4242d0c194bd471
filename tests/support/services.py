"""The gateway's use cases in process: services over an eth-tester chain and a SQLite file.

No HTTP server and no background thread: `Services.act` runs a write use case as a named
member, then drives the pipeline (mine) and the indexer (project) synchronously, so a test
reads the read model right after. Extend it with helpers for more use cases here, not in the
tests.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy.orm import Session
from web3 import EthereumTesterProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from scfledger.chain.deployment import deployed_contracts
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.keys.store import Signer
from scfledger.outbox.operation import OperationView
from scfledger.outbox.pipeline import Pipeline
from scfledger.services import receivables as use_cases
from scfledger.services.documents import StoredDocument, record_upload
from scfledger.services.ledger import Actor, Contracts, Idempotency, Ledger, actor_for
from scfledger.services.ledger import operation_events as indexed_events
from tests.support.gateway import migrated_engine
from tests.support.ledger import DAY, Consortium


class RawLogsTesterProvider(EthereumTesterProvider):
    """eth-tester answering the raw `eth_getLogs` the indexer sends past web3's formatting
    (JSON-RPC parameter names in, JSON-RPC field names out), as a node does."""

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method != "eth_getLogs":
            return super().make_request(method, params)
        (query,) = params
        assert self.ethereum_tester is not None
        logs = self.ethereum_tester.get_logs(
            from_block=int(query["fromBlock"], 16),
            to_block=int(query["toBlock"], 16),
            address=query.get("address"),
        )
        result = [{_camel(key): value for key, value in log.items()} for log in logs]
        return {"jsonrpc": "2.0", "id": 0, "result": result}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def signer_of(consortium: Consortium, name: str) -> Signer:
    """The named member's eth-tester key as a gateway signer."""
    address = consortium.accounts[name]
    key = next(
        k for k in consortium.eth_tester.backend.account_keys
        if k.public_key.to_checksum_address() == address
    )  # fmt: skip
    return Signer(name, Account.from_key(key.to_bytes()))


@dataclass
class Services:
    """The ledger's services as the gateway builds them, over `consortium`'s chain."""

    consortium: Consortium
    ledger: Ledger
    indexer: Indexer
    _keys: Iterator[int] = field(default_factory=itertools.count)

    @property
    def pipeline(self) -> Pipeline:
        return self.ledger.pipeline

    def session(self) -> Session:
        return self.ledger.sessions()

    def address(self, name: str) -> str:
        return str(self.consortium.accounts[name])

    def actor(self, name: str) -> Actor:
        """The member `name` as the index knows it (roles, status)."""
        with self.session() as session:
            return actor_for(session, participant=name, address=self.address(name))

    def act(
        self, use_case: Callable[..., OperationView], name: str, **arguments: Any
    ) -> OperationView:
        """Runs a write use case as member `name` to its end (mined and indexed) and returns
        the operation; an operation that failed raises its decoded error."""
        key = f"{use_case.__name__}-{next(self._keys)}"
        op = use_case(
            ledger=self.ledger,
            actor=self.actor(name),
            idempotency=Idempotency(key=key, request_hash=key),
            **arguments,
        )
        return self.complete(op)

    def complete(self, op: OperationView) -> OperationView:
        """Drives the pipeline until `op` is mined (or failed), then indexes the chain."""
        done = self.pipeline.wait(op.id, timeout=30)
        done.raise_for_error()
        self.indexer.catch_up()
        return self.pipeline.get(op.id)

    def events(self, op: OperationView) -> dict[str, dict[str, Any]]:
        """The indexed events of an operation's transaction: name -> arguments (the last
        of a name)."""
        with self.session() as session:
            return {e.name: dict(e.args) for e in indexed_events(session, op.tx_hash)}

    def document(self, name: str, text: str) -> str:
        """Records that member `name` uploaded a document of `text` (as the upload route
        does, without the file); its SHA-256 as 0x-hex, to anchor."""
        digest = hashlib.sha256(text.encode()).hexdigest()
        stored = StoredDocument(sha256=digest, size=len(text), content_type="text/plain")
        with transaction(self.ledger.sessions) as session:
            record_upload(session=session, actor=self.actor(name), document=stored)
        return "0x" + digest

    # -- factories: the usual steps before the one a test is about ----------------------

    def issue(
        self,
        *,
        debtor: str = "core",
        creditor: str = "supplier1",
        amount: int = 1_000_000,
        due_in: int = 90 * DAY,
        accept: bool = True,
    ) -> tuple[int, int]:
        """`debtor` issues a receivable to `creditor`, who accepts it unless `accept` is
        False; returns (slot, root token id)."""
        issued = self.events(
            self.act(
                use_cases.issue,
                debtor,
                creditor=self.address(creditor),
                face_amount=amount,
                currency="CNY",
                due_date=self.consortium.now() + due_in,
                document_hash=self.document(debtor, f"invoice {next(self._keys)}"),
            )
        )["ReceivableIssued"]
        slot, token_id = int(issued["slot"]), int(issued["tokenId"])
        if accept:
            self.act(use_cases.accept, creditor, slot=slot)
        return slot, token_id

    def send(self, token_id: int, to: str, value: int, *, sign: bool = True) -> int:
        """The holder of `token_id` sends `value` of it to `to`, who signs for it unless
        `sign` is False; returns the new piece's token id."""
        holder = self.consortium.holder_name(token_id)
        op = self.act(
            use_cases.transfer, holder, token_id=token_id, to=self.address(to), value=value
        )
        child = int(self.events(op)["PieceSplit"]["childTokenId"])
        if sign:
            self.act(use_cases.accept_piece, to, token_id=child)
        return child


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the head migration, copied for each test (migrating takes longer
    than the tests)."""
    path = tmp_path_factory.mktemp("services") / "template.sqlite3"
    migrated_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def services(consortium: Consortium, _migrated_sqlite: Path, tmp_path: Path) -> Iterator[Services]:
    """The services over the test consortium (rolled back after the test) and a fresh
    SQLite read model, indexed up to the chain's head."""
    database = tmp_path / "gateway.sqlite3"
    shutil.copy(_migrated_sqlite, database)
    engine = create_db_engine(f"sqlite:///{database}")
    sessions = session_factory(engine)
    contracts = {name: str(a) for name, a in deployed_contracts(consortium.ledger).items()}
    pipeline = Pipeline(
        w3=consortium.w3,
        sessions=sessions,
        signer_for=lambda name: signer_of(consortium, name),
        poll_interval=0.01,
    )
    indexer = Indexer(
        Web3(RawLogsTesterProvider(consortium.eth_tester)),
        sessions,
        IndexerConfig(contracts=contracts, start_block=consortium.ledger.deployment_block),
    )
    indexer.catch_up()
    yield Services(consortium, Ledger(sessions, pipeline, Contracts.of(contracts)), indexer)
    engine.dispose()
