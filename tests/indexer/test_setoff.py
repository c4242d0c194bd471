"""Set-off rounds in the index, from a real chain (eth-tester) into SQLite and PostgreSQL: a
refused round, an executed one (pieces cleared in part and whole, a slot settled by netting
alone, another by netting and payment together), a lapsed one; reconcile agreeing, and
finding a tampered netted value; a reorg undoing an execution; who sees a round's events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from web3 import Web3

from scfledger.chain.deployment import deployed_contracts
from scfledger.chain.tx import event_args
from scfledger.db.migrate import upgrade
from scfledger.db.projections import (
    ChainEvent,
    IndexerCheckpoint,
    Piece,
    Receivable,
    SetOffItem,
    SetOffParty,
    SetOffRound,
)
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import RecordNotFound
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.indexer import Indexer, IndexerConfig, roll_back
from scfledger.indexer.projector import project
from scfledger.indexer.reconcile import Difference, reconcile
from scfledger.services.event_money import show_events
from scfledger.services.ledger import Actor
from scfledger.services.ledger_money import LedgerMoney
from scfledger.services.visibility import list_events, visible_round
from tests.indexer.test_journal import current, replayed
from tests.support.ledger import (
    AUDITOR,
    CORE_ENTERPRISE,
    DAY,
    FINANCIER,
    SUPPLIER,
    Consortium,
    deploy_consortium,
    h,
)
from tests.support.services import RawLogsTesterProvider

pytestmark = pytest.mark.integration

# Members that both owe and are owed, so debt runs in a circle: core -> core2 -> supplier1.
TRADERS = ("core", "core2", "supplier1")
SETOFF_EVENTS = {"RoundProposed", "ItemPlanned", "RoundConsented", "RoundRefused",
                 "PieceNetted", "RoundExecuted"}  # fmt: skip


@dataclass(frozen=True)
class Book:
    c: Consortium
    small: list[int]  # a1, b1, c1: 100,000 each around the circle
    x: int  # core owes core2 400,000, 100,000 split off to supplier2: the root holds 300,000
    y: int  # core2 owes supplier1 300,000, whole
    z: int  # supplier1 owes core 500,000, 200,000 split off to itself (z_child)
    z_child: int
    refused: int  # proposed by core over the small pieces; core2 consents, supplier1 refuses
    executed: int  # proposed by bank: 40,000 of each small piece, x, y and z whole
    lapsed: int  # proposed by bank after, never answered
    before_rounds: int  # the last block before the first proposal
    fork: int  # the last block before the execution


def issue(c: Consortium, debtor: str, creditor: str, amount: int, **kwargs: int) -> int:
    return c.issue_active(debtor=debtor, creditor=creditor, amount=amount, **kwargs)[1]


def propose(c: Consortium, items: list[tuple[int, int]], sender: str) -> int:
    call = c.set_off.functions.propose(items, c.now() + 7 * DAY)
    return int(event_args(c.set_off, "RoundProposed", c.tx(call, c.accounts[sender]))[0]["roundId"])


def build_book() -> Book:
    c = deploy_consortium()
    for name in TRADERS:
        c.govern(c.registry.functions.setRoles(c.accounts[name], CORE_ENTERPRISE | SUPPLIER))
    a1 = issue(c, "core", "core2", 100_000)
    # supplier2 held b1 before passing it whole to supplier1: it sees the piece, not the rounds.
    b1 = issue(c, "core2", "supplier2", 100_000)
    c.transfer(b1, "supplier1")
    c1 = issue(c, "supplier1", "core", 100_000)
    x = issue(c, "core", "core2", 400_000)
    c.split(x, "supplier2", 100_000)
    y = issue(c, "core2", "supplier1", 300_000)
    z = issue(c, "supplier1", "core", 500_000, due_in=20 * DAY)
    z_child = c.split(z, "core", 200_000)
    small = [a1, b1, c1]

    before_rounds = c.w3.eth.block_number
    refused = propose(c, [(p, 50_000) for p in small], "core")
    c.tx(c.set_off.functions.consent(refused), c.core2)
    c.tx(c.set_off.functions.refuse(refused, h("not now")), c.supplier1)

    items = [*((p, 40_000) for p in small), (x, 300_000), (y, 300_000), (z, 300_000)]
    executed = propose(c, items, "bank")
    for name in TRADERS:
        c.tx(c.set_off.functions.consent(executed), c.accounts[name])
    fork = c.w3.eth.block_number
    c.tx(c.set_off.functions.execute(executed), c.supplier3)
    lapsed = propose(c, [(p, 10_000) for p in small], "bank")
    # core pays the rest of z at maturity (past every round's deadline) and it is confirmed.
    c.settle([z_child])
    c.confirm(z_child)
    return Book(c, small, x, y, z, z_child, refused, executed, lapsed, before_rounds, fork)


@pytest.fixture(scope="module")
def book() -> Book:
    return build_book()


def indexer(book: Book, engine: Engine) -> Indexer:
    config = IndexerConfig(
        contracts=deployed_contracts(book.c.ledger),
        start_block=book.c.ledger.deployment_block,
        confirmations=0,
        batch_size=7,  # rounds span batches
    )
    w3 = Web3(RawLogsTesterProvider(book.c.eth_tester))
    return Indexer(w3, session_factory(engine), config)


def new_engine(url: str) -> Engine:
    upgrade(url)
    return create_db_engine(url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def indexed(
    request: pytest.FixtureRequest, book: Book, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('setoff')) / 'index.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    engine = new_engine(url)
    indexer(book, engine).catch_up()
    yield engine
    engine.dispose()


def differences(book: Book, engine: Engine) -> list[Difference]:
    c = book.c
    with session_factory(engine)() as session:
        return reconcile(
            session, registry=c.registry, token=c.token, financing=c.financing,
            at_block=c.w3.eth.block_number, set_off=c.set_off,
        )  # fmt: skip


# ---- the projection --------------------------------------------------------------------


def test_a_refused_round_keeps_its_answers_and_who_refused(book: Book, indexed: Engine) -> None:
    a = book.c.accounts
    with session_factory(indexed)() as session:
        row = session.get(SetOffRound, book.refused)
        assert row is not None
        assert (row.status, row.proposer, row.refused_by, row.reason) == (
            "refused",
            a["core"],
            a["supplier1"],
            "0x" + h("not now").hex(),
        )
        assert (row.currency, row.item_count, row.total, row.party_count, row.consents) == (
            "CNY",
            3,
            150_000,
            3,
            1,
        )
        assert row.executor is None
        answers = session.execute(
            select(SetOffParty.party, SetOffParty.answer).where(
                SetOffParty.round_id == book.refused
            )
        ).all()
        assert dict(answers) == {a["core"]: "awaiting", a["core2"]: "given",
                                 a["supplier1"]: "refused"}  # fmt: skip
        items = session.scalars(select(SetOffItem).where(SetOffItem.round_id == book.refused))
        assert [(i.token_id, i.amount, i.remaining) for i in items] == [
            (p, 50_000, None) for p in book.small
        ]


def test_an_executed_round_reduces_its_pieces_and_records_netted_value(
    book: Book, indexed: Engine
) -> None:
    a = book.c.accounts
    with session_factory(indexed)() as session:
        row = session.get(SetOffRound, book.executed)
        assert row is not None
        assert (row.status, row.proposer, row.executor, row.consents, row.party_count) == (
            "executed",
            a["bank"],
            a["supplier3"],
            3,
            3,
        )
        assert row.total == 3 * 40_000 + 3 * 300_000
        items = session.scalars(
            select(SetOffItem)
            .where(SetOffItem.round_id == book.executed)
            .order_by(SetOffItem.token_id)
        )
        assert [(i.token_id, i.amount, i.remaining) for i in items] == [
            *((p, 40_000, 60_000) for p in book.small),
            (book.x, 300_000, 0), (book.y, 300_000, 0), (book.z, 300_000, 0),
        ]  # fmt: skip
        answers = session.scalars(
            select(SetOffParty.answer).where(SetOffParty.round_id == book.executed)
        )
        assert set(answers) == {"given"}
        pieces = {p.token_id: (p.value, p.state) for p in session.scalars(select(Piece))}
        for p in book.small:
            assert pieces[p] == (60_000, "active")
        for p in (book.x, book.y, book.z):
            assert pieces[p] == (0, "netted")
        assert pieces[book.z_child] == (0, "settled")


def test_a_slot_is_settled_when_settled_and_netted_value_make_its_face(
    book: Book, indexed: Engine
) -> None:
    """y cleared whole by netting alone; z by netting (300,000) and then payment of its
    split-off rest (200,000); x's root cleared whole while a child of it lives on."""
    with session_factory(indexed)() as session:
        slots = {
            r.root_token_id: (r.settled_value, r.netted_value, r.status)
            for r in session.scalars(select(Receivable))
        }
    assert slots[book.y] == (0, 300_000, "settled")
    assert slots[book.z] == (200_000, 300_000, "settled")
    assert slots[book.x] == (0, 300_000, "active")
    for p in book.small:
        assert slots[p] == (0, 40_000, "active")


def test_a_round_past_its_deadline_stays_proposed_in_the_index(book: Book, indexed: Engine) -> None:
    """The chain reads it lapsed by time, which reconcile allows for."""
    with session_factory(indexed)() as session:
        row = session.get(SetOffRound, book.lapsed)
        assert row is not None
        assert (row.status, row.consents, row.item_count) == ("proposed", 0, 3)
    assert book.c.set_off.functions.getRound(book.lapsed).call()[3] == 4  # Lapsed


# ---- reconcile ---------------------------------------------------------------------------


def test_reconcile_agrees_after_rounds(book: Book, indexed: Engine) -> None:
    assert differences(book, indexed) == []


def test_reconcile_finds_a_tampered_netted_value_round_item_and_answer(
    book: Book, indexed: Engine
) -> None:
    slot = book.c.piece(book.y).slot
    with session_factory(indexed)() as session, session.begin():
        session.execute(update(Receivable).where(Receivable.slot == slot).values(netted_value=1))
        session.execute(
            update(SetOffRound).where(SetOffRound.round_id == book.refused).values(consents=2)
        )
        session.execute(
            update(SetOffParty)
            .where(SetOffParty.round_id == book.executed, SetOffParty.party == book.c.core)
            .values(answer="awaiting")
        )
        session.execute(
            update(SetOffItem)
            .where(SetOffItem.round_id == book.executed, SetOffItem.token_id == book.y)
            .values(amount=SetOffItem.amount + 1)
        )
    try:
        found = {(d.kind, d.key, d.field) for d in differences(book, indexed)}
        assert found == {
            ("receivable", str(slot), "netted_value"),
            ("setoff_round", str(book.refused), "consents"),
            ("setoff_items", str(book.executed), "items"),
            ("setoff_parties", str(book.executed), "answers"),
        }
    finally:
        with session_factory(indexed)() as session, session.begin():
            session.execute(
                update(Receivable).where(Receivable.slot == slot).values(netted_value=300_000)
            )
            session.execute(
                update(SetOffRound).where(SetOffRound.round_id == book.refused).values(consents=1)
            )
            session.execute(
                update(SetOffParty)
                .where(SetOffParty.round_id == book.executed, SetOffParty.party == book.c.core)
                .values(answer="given")
            )
            session.execute(
                update(SetOffItem)
                .where(SetOffItem.round_id == book.executed, SetOffItem.token_id == book.y)
                .values(amount=SetOffItem.amount - 1)
            )


# ---- a reorg -------------------------------------------------------------------------------


def test_reorgs_undo_an_execution_and_then_every_round_from_the_journal(
    book: Book, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Forking just below the execution, the read model is what a replay of the surviving
    feed gives (the round consented, not executed; nothing netted); forking again below the
    first proposal, no round is left and every piece is whole again: both undone from the
    journal (not replayed). Indexing again gives the chain's read model back."""
    engine = new_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('fork')) / 'index.sqlite3'}")
    follower = indexer(book, engine)
    follower.catch_up()
    before = current(engine)

    def fork_at(block: int) -> None:
        with session_factory(engine)() as session, session.begin():
            checkpoint = session.get(IndexerCheckpoint, 1)
            assert checkpoint is not None
            assert checkpoint.journal_floor <= block
            fork_hash = "0x" + bytes(book.c.w3.eth.get_block(block)["hash"]).hex()
            roll_back(session, block, fork_hash, start_block=book.c.ledger.deployment_block)
        assert current(engine) == replayed(engine)

    fork_at(book.fork)
    with session_factory(engine)() as session:
        row = session.get(SetOffRound, book.executed)
        assert row is not None
        assert (row.status, row.executor, row.consents) == ("proposed", None, 3)
        assert session.get(SetOffRound, book.lapsed) is None
        remaining = session.scalars(
            select(SetOffItem.remaining).where(SetOffItem.round_id == book.executed)
        )
        assert set(remaining) == {None}
        assert set(session.scalars(select(Receivable.netted_value))) == {0}
        x = session.get(Piece, book.x)
        assert x is not None
        assert (x.value, x.state) == (300_000, "active")
        refused = session.get(SetOffRound, book.refused)
        assert refused is not None
        assert refused.status == "refused"

    fork_at(book.before_rounds)
    with session_factory(engine)() as session:
        for model in (SetOffRound, SetOffItem, SetOffParty):
            assert session.scalars(select(model)).all() == []
        values = dict(session.execute(select(Piece.token_id, Piece.value)).all())
        assert [values[p] for p in (*book.small, book.x, book.y, book.z)] == [
            100_000, 100_000, 100_000, 300_000, 300_000, 300_000
        ]  # fmt: skip

    follower.catch_up()
    assert current(engine) == before
    engine.dispose()


# ---- who sees a round --------------------------------------------------------------------


def actor(c: Consortium, name: str) -> Actor:
    roles = {"bank": FINANCIER, "auditor": AUDITOR}.get(name, SUPPLIER)
    return Actor(participant=name, address=c.accounts[name], roles=roles, status="active")


def seen_rounds(book: Book, engine: Engine, name: str) -> dict[str, set[int]]:
    """The set-off events `name`'s feed shows: event name -> the rounds they are of."""
    with session_factory(engine)() as session:
        events, _ = list_events(session, actor(book.c, name), after=0, limit=10_000)
    found: dict[str, set[int]] = {}
    for e in events:
        if e.contract == "SetOff":
            found.setdefault(e.name, set()).add(e.args["roundId"])
    return found


def test_a_rounds_events_are_seen_by_its_parties_and_proposer_only(
    book: Book, indexed: Engine
) -> None:
    every = {book.refused, book.executed, book.lapsed}
    proposed = {"RoundProposed": every, "ItemPlanned": every,
                "RoundConsented": {book.refused, book.executed}, "RoundRefused": {book.refused},
                "PieceNetted": {book.executed}, "RoundExecuted": {book.executed}}  # fmt: skip
    with session_factory(indexed)() as session:
        assert set(session.scalars(select(ChainEvent.name).where(ChainEvent.contract == "SetOff")))\
            == SETOFF_EVENTS  # fmt: skip
    for name in (*TRADERS, "auditor"):
        assert seen_rounds(book, indexed, name) == proposed, name
    # bank proposed the executed and the lapsed rounds, and is party to none.
    assert seen_rounds(book, indexed, "bank") == {
        k: v - {book.refused} for k, v in proposed.items() if v - {book.refused}
    }
    # supplier2 sees b1 (it held it) and x's slot (it holds a piece of it), not the rounds;
    # supplier3 executed a round, which makes it no party to it.
    assert seen_rounds(book, indexed, "supplier2") == {}
    assert seen_rounds(book, indexed, "supplier3") == {}


def test_a_round_is_found_by_its_parties_and_proposer_only(book: Book, indexed: Engine) -> None:
    c = book.c
    with session_factory(indexed)() as session:
        for name in (*TRADERS, "auditor"):
            assert visible_round(session, actor(c, name), book.refused).round_id == book.refused
        assert visible_round(session, actor(c, "bank"), book.executed).proposer == c.bank
        for name, round_id in (("bank", book.refused), ("supplier2", book.executed),
                               ("supplier3", 999)):  # fmt: skip
            with pytest.raises(RecordNotFound):
                visible_round(session, actor(c, name), round_id)


# ---- the feed's amounts --------------------------------------------------------------------


def test_set_off_amounts_are_decimal_strings_in_the_rounds_currency(
    book: Book, indexed: Engine
) -> None:
    money = LedgerMoney(accepted=("CNY",), read_value_decimals=lambda: 2)
    with session_factory(indexed)() as session:
        rows = session.scalars(
            select(ChainEvent)
            .where(ChainEvent.contract == "SetOff", ChainEvent.args["roundId"].as_integer() == 2)
            .order_by(ChainEvent.id)
        ).all()
        shown = show_events(session, money, [(e.contract, e.name, e.args) for e in rows])
    by_name: dict[str, list[dict[str, object]]] = {}
    for event, view in zip(rows, shown, strict=True):
        assert view.currency == (None if event.name == "RoundConsented" else "CNY"), event.name
        by_name.setdefault(event.name, []).append(view.args)
    assert [a["total"] for a in by_name["RoundProposed"]] == ["10200.00"]
    assert [a["amount"] for a in by_name["ItemPlanned"]] == ["400.00"] * 3 + ["3000.00"] * 3
    netted = [(a["amount"], a["remaining"]) for a in by_name["PieceNetted"]]
    assert netted == [("400.00", "600.00")] * 3 + [("3000.00", "0.00")] * 3
    assert [a["total"] for a in by_name["RoundExecuted"]] == ["10200.00"]
    assert len(by_name["RoundConsented"]) == 3


def test_a_round_over_pieces_in_several_currencies_has_no_currency(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The contract takes any pieces that balance; the planner plans one currency."""
    engine = new_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('mixed')) / 'index.sqlite3'}")
    accounts = ["0x" + c * 40 for c in "abc"]

    def event(name: str, log: int, **args: object) -> DecodedEvent:
        contract = "SetOff" if "roundId" in args else "ReceivableToken"
        return DecodedEvent(contract, name, dict(args), 1, "0x01", f"0x{log:064x}", log)

    def issued(slot: int, currency: str, log: int) -> DecodedEvent:
        return event(
            "ReceivableIssued", log, slot=slot, tokenId=slot, debtor=accounts[slot - 1],
            creditor=accounts[slot], faceAmount=100, currency="0x" + currency.encode().hex(),
            issueDate=1, dueDate=2, documentHash="0x" + "00" * 32,
        )  # fmt: skip

    def planned(round_id: int, token_id: int, log: int) -> DecodedEvent:
        return event(
            "ItemPlanned", log, roundId=round_id, tokenId=token_id,
            holder=accounts[token_id], debtor=accounts[token_id - 1], amount=10,
        )  # fmt: skip

    events = [issued(1, "CNY", 0), issued(2, "USD", 1), planned(1, 1, 2), planned(1, 2, 3),
              planned(2, 1, 4)]  # fmt: skip
    with session_factory(engine)() as session, session.begin():
        assert project(session, events) == []
    with session_factory(engine)() as session:
        rows = session.execute(select(SetOffRound.round_id, SetOffRound.currency)).all()
    assert dict(rows) == {1: None, 2: "CNY"}
    engine.dispose()
