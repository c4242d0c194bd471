"""Read-model tables projected from chain events; only the indexer writes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from scfledger.db.models import Base, utcnow


class ChainUint(TypeDecorator[int]):
    """An unsigned integer as the chain emits it (`uint<bits>`), exact on both databases,
    read back as a Python int.

    PostgreSQL: NUMERIC with as many digits as 2^bits - 1 has. SQLite has no integer
    beyond signed 64 bits (a larger one is refused, or rounded to a float by numeric
    affinity), so there: decimal text zero-padded to that width, whose text order is the
    number order. Comparisons with Python ints (`due_date <= x`), ORDER BY, MIN/MAX and
    GROUP BY therefore work alike on both; sums go through `uint_sum` (scfledger.db.session)."""

    LIMIT: ClassVar[int]  # 2^bits: values are below it
    DIGITS: ClassVar[int]  # decimal digits of LIMIT - 1
    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.DIGITS))
        return dialect.type_descriptor(Numeric(self.DIGITS, 0))

    def check(self, value: int) -> int:
        """The value as an int; ValueError when the column cannot hold it."""
        number = int(value)
        if not 0 <= number < self.LIMIT:
            raise ValueError(f"{number} is out of range of {type(self).__name__}")
        return number

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = self.check(value)
        return str(number).zfill(self.DIGITS) if dialect.name == "sqlite" else Decimal(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:  # noqa: ARG002
        return None if value is None else int(value)


class Uint256(ChainUint):
    """Amounts and values (`uint256`): NUMERIC(78, 0) on PostgreSQL."""

    LIMIT = 2**256
    DIGITS = len(str(LIMIT - 1))
    cache_ok = True


class Uint64(ChainUint):
    """Unix times the chain emits as `uint64` (due dates, deadlines): NUMERIC(20, 0) on
    PostgreSQL. A due date is whatever the debtor chose, up to 2^64 - 1."""

    LIMIT = 2**64
    DIGITS = len(str(LIMIT - 1))
    cache_ok = True


def _nothing_journaled(context: Any) -> int:
    """A new checkpoint's journal floor: itself (nothing below it can be undone)."""
    return int(context.get_current_parameters()["block_number"])


class IndexerCheckpoint(Base):
    """The last block whose events are all projected, saved with the rows themselves."""

    __tablename__ = "indexer_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    # The journal can undo every indexed block above this one; a reorg below it replays
    # the whole feed instead (`scfledger.indexer.indexer.roll_back`).
    journal_floor: Mapped[int] = mapped_column(BigInteger, default=_nothing_journaled)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProjectionJournal(Base):
    """How to undo the projector's writes of one block, for a reorg: per keyed row and
    block, the row's values before the block (`previous`), or None when the block created
    it. Rows of the append-only tables carry their block and need no entry. Kept for the
    blocks a reorg may still replace, pruned below (`scfledger.indexer.projector.journal`)."""

    __tablename__ = "projection_journal"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[list[Any]] = mapped_column(JSON)
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class IndexerFault(Base):
    """A chain event the read model could not project. The feed keeps the event and the
    indexer goes on; the rows the event would have written or changed are left as they
    were (see `scfledger.indexer.faults`)."""

    __tablename__ = "indexer_faults"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", name="uq_indexer_faults_tx_log"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)


class IndexedBlock(Base):
    """Hashes of indexed blocks (batch ends and blocks with events) to find a fork point,
    and their times: when an event happened, for statements. `timestamp` is the block's
    Unix seconds; None for blocks indexed before the column existed (0018)."""

    __tablename__ = "indexed_blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int | None] = mapped_column(BigInteger, index=True)


class ChainEvent(Base):
    """The append-only feed of every decoded event; `id` is the feed cursor."""

    __tablename__ = "chain_events"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_chain_events_tx_log"),
        Index("ix_chain_events_block", "block_number"),
        # The id is the feed cursor: never reuse one, even after a reorg deletes the newest.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)


class FeedVisibility(Base):
    """Who may see which feed row (services.visibility's rule, auditors aside): kept by the
    indexer in the transaction of each batch and rollback (services.feed_visibility)."""

    __tablename__ = "feed_visibility"
    # A row's viewers are rewritten by its id; a reorg's deleted feed rows cascade here.
    __table_args__ = (Index("ix_feed_visibility_event_id", "event_id"),)

    address: Mapped[str] = mapped_column(String(42), primary_key=True)  # lower case
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("chain_events.id", ondelete="CASCADE"),
        primary_key=True,
    )


class FeedCurrency(Base):
    """The currency a feed row's amounts are in, where the read model says it (the row's
    receivable, piece or financing request; services.event_money's rule): kept with the
    visibility table, so a page of the feed asks no currency of the read model."""

    __tablename__ = "feed_currencies"

    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("chain_events.id", ondelete="CASCADE"),
        primary_key=True,
    )
    currency: Mapped[str] = mapped_column(String(3))


class FeedSubject(Base):
    """The pieces (`piece`) and financing requests (`request`) a feed row names: whose
    rows to look at again when one of them changes."""

    __tablename__ = "feed_subjects"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("chain_events.id", ondelete="CASCADE"),
        primary_key=True,
    )
    __table_args__ = (Index("ix_feed_subjects_event_id", "event_id"),)


class Member(Base):
    __tablename__ = "members"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    name: Mapped[str] = mapped_column(Text)  # any length the registry took
    legal_id_hash: Mapped[str] = mapped_column(String(66), unique=True)
    kyc_hash: Mapped[str] = mapped_column(String(66))
    roles: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    admitted_block: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)


class Proposal(Base):
    """A governance proposal of the registry, its call decoded (`action`, `args`)."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    proposer: Mapped[str] = mapped_column(String(42))
    target: Mapped[str] = mapped_column(String(42))
    data: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    approvals: Mapped[list[str]] = mapped_column(JSON)
    deadline: Mapped[int] = mapped_column(Uint64)
    created_block: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)


class Receivable(Base):
    """A root receivable: one slot of the token. `status`: pending (awaiting the creditor),
    active, rejected, cancelled, expired (not accepted in time; its anchor released),
    settled (settled + netted == face: paid, cleared by set-off, or both)."""

    __tablename__ = "receivables"

    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    debtor: Mapped[str] = mapped_column(String(42), index=True)
    creditor: Mapped[str] = mapped_column(String(42), index=True)
    face_amount: Mapped[int] = mapped_column(Uint256)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[int] = mapped_column(Uint64)
    due_date: Mapped[int] = mapped_column(Uint64, index=True)
    document_hash: Mapped[str] = mapped_column(String(66), index=True)
    root_token_id: Mapped[int] = mapped_column(BigInteger)
    settled_value: Mapped[int] = mapped_column(Uint256)
    # What set-off rounds cleared of it (PieceNetted): live + settled + netted == face.
    netted_value: Mapped[int] = mapped_column(Uint256, default=0)
    status: Mapped[str] = mapped_column(String(16))
    issued_block: Mapped[int] = mapped_column(BigInteger)


class Piece(Base):
    """A piece of a receivable. `state` as the contract has it (`pending`, `active`,
    `financing`, `financed`, `awaiting_confirmation`, `settled`, `overdue`, `defaulted`,
    `rejected`, `cancelled`, `expired`, `netted`: cleared whole by set-off); `sender` is
    who sent a piece still awaiting the receiver's signature (签收), cleared when the
    receiver accepts or the piece goes back."""

    __tablename__ = "pieces"
    __table_args__ = (
        Index("ix_pieces_holder_state", "holder", "state"),
        # A participant's pieces in token id order: the first page of what it holds.
        Index("ix_pieces_holder_token_id", "holder", "token_id"),
        # What a participant sent that awaits the receiver: seen by the sender too.
        Index("ix_pieces_sender_token_id", "sender", "token_id"),
    )

    token_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, index=True)
    holder: Mapped[str] = mapped_column(String(42))
    value: Mapped[int] = mapped_column(Uint256)
    parent_token_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    depth: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(24))
    sender: Mapped[str | None] = mapped_column(String(42))
    created_block: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)


class PieceTransfer(Base):
    """A piece changing hands: a split (value to a new child), a whole transfer, or a sent
    piece going back whole to its sender when refused or recalled (`return`)."""

    __tablename__ = "piece_transfers"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_piece_transfers_tx_log"),
        # What a participant sent, in token id order (also any lookup by sender).
        Index("ix_piece_transfers_sender_token_id", "sender", "token_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    token_id: Mapped[int] = mapped_column(BigInteger, index=True)
    from_token_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    sender: Mapped[str] = mapped_column(String(42))
    receiver: Mapped[str] = mapped_column(String(42), index=True)
    value: Mapped[int] = mapped_column(Uint256)


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("token_id", "evidence_hash", name="uq_evidence_token_hash"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_id: Mapped[int] = mapped_column(BigInteger)
    evidence_hash: Mapped[str] = mapped_column(String(66), index=True)
    attached_by: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)


class FinancingRequest(Base):
    """A holder's request for financing of a piece, to one or several financiers (their
    offers: `FinancingOffer`). `asked_*`: the terms the requester asked; the agreed terms
    (`advance`, `repayment`, `fees`, `fund_by`) and `financier` are set when the requester
    accepts an offer. Amounts in the slot's currency. `status`: requested, accepted,
    rejected (every named financier declined), withdrawn, expired, funded, repaid, settled,
    recourse_claimed, recourse_repaid."""

    __tablename__ = "financing_requests"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_id: Mapped[int] = mapped_column(BigInteger, index=True)
    requester: Mapped[str] = mapped_column(String(42), index=True)
    financier: Mapped[str | None] = mapped_column(String(42), index=True)  # the accepted one
    mode: Mapped[str] = mapped_column(String(16))
    recourse: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(24))
    expires_at: Mapped[int] = mapped_column(Uint64)
    asked_advance: Mapped[int] = mapped_column(Uint256)
    asked_repayment: Mapped[int] = mapped_column(Uint256)
    asked_fees: Mapped[int] = mapped_column(Uint256)
    asked_fund_by: Mapped[int] = mapped_column(Uint64)
    advance: Mapped[int | None] = mapped_column(Uint256)
    repayment: Mapped[int | None] = mapped_column(Uint256)
    fees: Mapped[int | None] = mapped_column(Uint256)
    fund_by: Mapped[int | None] = mapped_column(Uint64)
    payment_ref: Mapped[str | None] = mapped_column(String(66))
    created_block: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)


class FinancingOffer(Base):
    """A financier named in a request, and its answer: `invited` (no answer yet), `made`
    (its standing offer, terms set; a new offer replaces it) or `declined`. Which offer was
    accepted is on the request (`FinancingRequest.financier`)."""

    __tablename__ = "financing_offers"
    __table_args__ = (
        # The requests a financier is named in, by piece: what it is asked to finance.
        Index("ix_financing_offers_financier_token_id", "financier", "token_id"),
    )

    request_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    financier: Mapped[str] = mapped_column(String(42), primary_key=True)
    token_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    advance: Mapped[int | None] = mapped_column(Uint256)
    repayment: Mapped[int | None] = mapped_column(Uint256)
    fees: Mapped[int | None] = mapped_column(Uint256)
    fund_by: Mapped[int | None] = mapped_column(Uint64)
    reason: Mapped[str | None] = mapped_column(String(66))  # why it declined
    updated_block: Mapped[int] = mapped_column(BigInteger)


class FinancingHistory(Base):
    """Every step of a financing request, in chain order. `financier` is set on the steps
    of one financier (its offer, its decline, acceptance, funding...): those are the
    requester's and that financier's business only."""

    __tablename__ = "financing_history"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", name="uq_financing_history_tx_log"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(24))
    financier: Mapped[str | None] = mapped_column(String(42))
    amount: Mapped[int | None] = mapped_column(Uint256)
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)


class Settlement(Base):
    """The settlement of a piece by its debtor. With the deposit token it is paid at once
    (`status` settled, `paid_on_chain`). Off-chain it carries a payment reference and awaits
    the payee's confirmation (`awaiting_confirmation`; `payee` is who must confirm now: the
    lien holder for its share first, then the holder), until confirmed (`settled`), deemed
    confirmed after `confirm_by` (`settled`, `deemed`), or disputed (`disputed`: the piece is
    unpaid again; a new submission with another reference reopens the row). `amount`: value
    settled so far, of which `lien_amount` went to `lien_holder`; `submitted_amount`: the
    value the latest submission reported paid. Every step: `SettlementHistory`."""

    __tablename__ = "settlements"

    token_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, index=True)
    holder: Mapped[str] = mapped_column(String(42), index=True)
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(Uint256)
    submitted_amount: Mapped[int] = mapped_column(Uint256)
    lien_holder: Mapped[str | None] = mapped_column(String(42), index=True)
    lien_amount: Mapped[int] = mapped_column(Uint256)
    payee: Mapped[str | None] = mapped_column(String(42), index=True)
    confirm_by: Mapped[int | None] = mapped_column(Uint64)
    deemed: Mapped[bool] = mapped_column(Boolean)
    payment_ref: Mapped[str] = mapped_column(String(66))
    dispute_reason: Mapped[str | None] = mapped_column(String(66))
    paid_on_chain: Mapped[bool] = mapped_column(Boolean)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))


class SettlementHistory(Base):
    """Every step of settling a piece, in chain order: `paid` (on-chain), `submitted`,
    `confirmed`, `deemed`, `disputed`; `payee` who confirmed or disputed (or must)."""

    __tablename__ = "settlement_history"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_settlement_history_tx_log"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_id: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(16))
    payee: Mapped[str | None] = mapped_column(String(42))
    amount: Mapped[int | None] = mapped_column(Uint256)
    payment_ref: Mapped[str] = mapped_column(String(66))
    reason: Mapped[str | None] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)


class EscrowBalance(Base):
    """Deposit-token payments waiting in escrow for a suspended member, until it claims
    them once reinstated. `amount`: what waits now."""

    __tablename__ = "escrow_balances"

    payee: Mapped[str] = mapped_column(String(42), primary_key=True)
    amount: Mapped[int] = mapped_column(Uint256)
    updated_block: Mapped[int] = mapped_column(BigInteger)


class SetOffRound(Base):
    """A set-off round (SetOff.sol): `status` `proposed`, `refused` or `executed` as the
    chain stores it (a proposed round past its `deadline` reads as lapsed: chain time
    decides, not this row). `currency`: its pieces' (one per round, as the planner makes
    them; None for pieces in several, which the contract allows); `consents`: how many
    parties consented so far; `refused_by` and `reason` name the refusal; `executor` who
    executed it."""

    __tablename__ = "setoff_rounds"

    round_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    proposer: Mapped[str] = mapped_column(String(42), index=True)
    deadline: Mapped[int] = mapped_column(Uint64)
    status: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    item_count: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Uint256)
    party_count: Mapped[int] = mapped_column(Integer)
    consents: Mapped[int] = mapped_column(Integer)
    refused_by: Mapped[str | None] = mapped_column(String(42))
    reason: Mapped[str | None] = mapped_column(String(66))
    executor: Mapped[str | None] = mapped_column(String(42))
    tx_hash: Mapped[str] = mapped_column(String(66))  # the proposal's transaction
    created_block: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)


class SetOffItem(Base):
    """An item of a round (ItemPlanned): `amount` of piece `token_id`, owed by `debtor` to
    `holder`, is to clear; `remaining` is the piece's value after execution (PieceNetted),
    None before."""

    __tablename__ = "setoff_items"

    round_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    slot: Mapped[int] = mapped_column(BigInteger)
    holder: Mapped[str] = mapped_column(String(42))
    debtor: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)
    remaining: Mapped[int | None] = mapped_column(Uint256)


class SetOffParty(Base):
    """A party of a round (a holder or debtor of an item) and its `answer`: `awaiting`,
    `given` or `refused`. Only a round's parties (and auditors) see the round."""

    __tablename__ = "setoff_parties"
    __table_args__ = (
        # The rounds a member is party to, newest first: its set-off inbox.
        Index("ix_setoff_parties_party_round", "party", "round_id"),
    )

    round_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    party: Mapped[str] = mapped_column(String(42), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    updated_block: Mapped[int] = mapped_column(BigInteger)


PROJECTION_TABLES: list[Table] = [
    cast(Table, model.__table__)
    for model in (
        Member,
        Proposal,
        Receivable,
        Piece,
        PieceTransfer,
        Evidence,
        FinancingRequest,
        FinancingOffer,
        FinancingHistory,
        Settlement,
        SettlementHistory,
        EscrowBalance,
        SetOffRound,
        SetOffItem,
        SetOffParty,
    )
]


def _check_on_set(kind: ChainUint) -> Any:
    def check(_target: Any, value: Any, _old: Any, _initiator: Any) -> None:
        if value is not None:
            kind.check(value)

    return check


# A value a chain integer column cannot hold is refused when it is set, not at the flush:
# a projection of events one by one and one of a whole batch then agree (a piece's value
# that went below zero and came back within the batch would pass at the flush).
for _table in PROJECTION_TABLES:
    for _column in _table.columns:
        if isinstance(_column.type, ChainUint):
            _model = next(m for m in Base.registry.mappers if m.local_table is _table).class_
            event.listen(getattr(_model, _column.key), "set", _check_on_set(_column.type))
