"""The read model of the consent contracts: financing by offer and acceptance, 签收 of sent
pieces, off-chain settlement awaiting the payee's confirmation, escrow.

- `pieces`: `state` widens for `awaiting_confirmation`; `sender` of a piece awaiting its
  receiver's signature.
- `financing_requests`: one advance and a rate become the asked terms (`asked_advance`,
  `asked_repayment`, `asked_fees`, `asked_fund_by`) and the agreed ones (`advance`,
  `repayment`, `fees`, `fund_by`, set on acceptance); `financier` is the accepted one, null
  until then. Rows of before: the amount becomes the asked and (once approved) the agreed
  advance and repayment, `approved` becomes `accepted`.
- `financing_offers`: each named financier and its answer (one row per financier of each
  request of before, with its approved terms as the offer).
- `financing_history.financier`: the financier a step belongs to.
- `settlements`: status, payee due to confirm, confirmation deadline, deemed, dispute
  reason, submitted amount (rows of before: settled, the submitted amount their amount).
- `settlement_history`, `escrow_balances`: new.

Revision ID: 0010_consent_read_model
Revises: 0009_chain_uints_and_faults
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_consent_read_model"
down_revision: str | None = "0009_chain_uints_and_faults"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNT_DIGITS, DATE_DIGITS = 78, 20
AMOUNT = sa.Numeric(AMOUNT_DIGITS, 0).with_variant(sa.String(AMOUNT_DIGITS), "sqlite")
DATE = sa.Numeric(DATE_DIGITS, 0).with_variant(sa.String(DATE_DIGITS), "sqlite")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ADDRESS, HASH = sa.String(42), sa.String(66)
# Statuses of before at which the financier's terms were fixed (approved or later).
TERMS_FIXED = ("approved", "funded", "repaid", "settled", "recourse_claimed", "recourse_repaid")


def _zero() -> str | int:
    """A zero amount as the column holds it (SQLite: zero-padded text)."""
    return "0" * AMOUNT_DIGITS if op.get_bind().dialect.name == "sqlite" else 0


def _table(name: str, *columns: str) -> sa.TableClause:
    """A lightweight table of the columns a data step reads or writes, as they are now."""
    return sa.table(name, *(sa.column(c) for c in columns))


def upgrade() -> None:
    with op.batch_alter_table("pieces") as batch:
        batch.alter_column("state", existing_type=sa.String(16), type_=sa.String(24))
        batch.add_column(sa.Column("sender", ADDRESS, nullable=True))
        batch.create_index("ix_pieces_sender_token_id", ["sender", "token_id"])

    _financing_requests()
    _financing_offers()
    with op.batch_alter_table("financing_history") as batch:
        batch.add_column(sa.Column("financier", ADDRESS, nullable=True))
    _settlements()

    op.create_table(
        "settlement_history",
        sa.Column("id", ID, nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payee", ADDRESS, nullable=True),
        sa.Column("amount", AMOUNT, nullable=True),
        sa.Column("payment_ref", HASH, nullable=False),
        sa.Column("reason", HASH, nullable=True),
        sa.Column("tx_hash", HASH, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_history")),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_settlement_history_tx_log"),
    )
    op.create_index("ix_settlement_history_token_id", "settlement_history", ["token_id"])
    op.create_table(
        "escrow_balances",
        sa.Column("payee", ADDRESS, nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("payee", name=op.f("pk_escrow_balances")),
    )


def _financing_requests() -> None:
    with op.batch_alter_table("financing_requests") as batch:
        for name in ("asked_advance", "asked_repayment", "asked_fees", "advance", "repayment"):
            batch.add_column(sa.Column(name, AMOUNT, nullable=True))
        batch.add_column(sa.Column("fees", AMOUNT, nullable=True))
        batch.add_column(sa.Column("asked_fund_by", DATE, nullable=True))
        batch.add_column(sa.Column("fund_by", DATE, nullable=True))
        batch.alter_column("financier", existing_type=ADDRESS, nullable=True)
    t = _table(
        "financing_requests", "amount", "expires_at", "status", "asked_advance",
        "asked_repayment", "asked_fees", "asked_fund_by", "advance", "repayment", "fees",
        "fund_by",
    )  # fmt: skip
    c = t.c
    op.execute(
        t.update().values(
            asked_advance=c.amount,
            asked_repayment=c.amount,
            asked_fees=_zero(),
            asked_fund_by=c.expires_at,
        )
    )
    op.execute(
        t.update()
        .where(c.status.in_(TERMS_FIXED))
        .values(advance=c.amount, repayment=c.amount, fees=_zero(), fund_by=c.expires_at)
    )
    op.execute(t.update().where(c.status == "approved").values(status="accepted"))
    with op.batch_alter_table("financing_requests") as batch:
        for name in ("asked_advance", "asked_repayment", "asked_fees"):
            batch.alter_column(name, existing_type=AMOUNT, nullable=False)
        batch.alter_column("asked_fund_by", existing_type=DATE, nullable=False)
        batch.drop_column("amount")
        batch.drop_column("rate_bps")


def _financing_offers() -> None:
    op.create_table(
        "financing_offers",
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("financier", ADDRESS, nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("advance", AMOUNT, nullable=True),
        sa.Column("repayment", AMOUNT, nullable=True),
        sa.Column("fees", AMOUNT, nullable=True),
        sa.Column("fund_by", DATE, nullable=True),
        sa.Column("reason", HASH, nullable=True),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "financier", name=op.f("pk_financing_offers")),
    )
    op.create_index(
        "ix_financing_offers_financier_token_id", "financing_offers", ["financier", "token_id"]
    )
    requests = _table(
        "financing_requests", "id", "financier", "token_id", "status", "advance", "repayment",
        "fees", "fund_by", "updated_block",
    )  # fmt: skip
    offers = _table(
        "financing_offers", "request_id", "financier", "token_id", "status", "advance",
        "repayment", "fees", "fund_by", "updated_block",
    )  # fmt: skip
    r = requests.c
    made = (*(s for s in TERMS_FIXED if s != "approved"), "accepted")
    status = sa.case(
        (r.status.in_(made), "made"), (r.status == "rejected", "declined"), else_="invited"
    )
    rows = sa.select(
        r.id, r.financier, r.token_id, status, r.advance, r.repayment, r.fees, r.fund_by,
        r.updated_block,
    )  # fmt: skip
    names = ["request_id", "financier", "token_id", "status", "advance", "repayment", "fees"]
    op.execute(offers.insert().from_select([*names, "fund_by", "updated_block"], rows))


def _settlements() -> None:
    with op.batch_alter_table("settlements") as batch:
        batch.add_column(sa.Column("status", sa.String(24), nullable=True))
        batch.add_column(sa.Column("submitted_amount", AMOUNT, nullable=True))
        batch.add_column(sa.Column("payee", ADDRESS, nullable=True))
        batch.add_column(sa.Column("confirm_by", DATE, nullable=True))
        batch.add_column(sa.Column("deemed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("dispute_reason", HASH, nullable=True))
    t = _table("settlements", "status", "submitted_amount", "amount", "deemed")
    op.execute(t.update().values(status="settled", submitted_amount=t.c.amount, deemed=False))
    with op.batch_alter_table("settlements") as batch:
        batch.alter_column("status", existing_type=sa.String(24), nullable=False)
        batch.alter_column("submitted_amount", existing_type=AMOUNT, nullable=False)
        batch.alter_column("deemed", existing_type=sa.Boolean(), nullable=False)
        batch.create_index("ix_settlements_payee", ["payee"])


def downgrade() -> None:
    """Back to 0009. Financing terms keep the agreed (else the asked) advance as the amount
    and a rate of 0; offers, settlement steps and escrow balances are dropped."""
    op.drop_table("escrow_balances")
    op.drop_index("ix_settlement_history_token_id", table_name="settlement_history")
    op.drop_table("settlement_history")
    with op.batch_alter_table("settlements") as batch:
        batch.drop_index("ix_settlements_payee")
        for name in ("status", "submitted_amount", "payee", "confirm_by", "deemed"):
            batch.drop_column(name)
        batch.drop_column("dispute_reason")
    with op.batch_alter_table("financing_history") as batch:
        batch.drop_column("financier")
    op.drop_index("ix_financing_offers_financier_token_id", table_name="financing_offers")
    op.drop_table("financing_offers")
    with op.batch_alter_table("financing_requests") as batch:
        batch.add_column(sa.Column("amount", AMOUNT, nullable=True))
        batch.add_column(sa.Column("rate_bps", sa.Integer(), nullable=True))
    t = _table(
        "financing_requests", "amount", "rate_bps", "advance", "asked_advance", "financier",
        "requester", "status",
    )  # fmt: skip
    c = t.c
    op.execute(
        t.update().values(
            amount=sa.func.coalesce(c.advance, c.asked_advance),
            rate_bps=0,
            financier=sa.func.coalesce(c.financier, c.requester),
        )
    )
    op.execute(t.update().where(c.status == "accepted").values(status="approved"))
    with op.batch_alter_table("financing_requests") as batch:
        batch.alter_column("amount", existing_type=AMOUNT, nullable=False)
        batch.alter_column("rate_bps", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("financier", existing_type=ADDRESS, nullable=False)
        for name in ("asked_advance", "asked_repayment", "asked_fees", "asked_fund_by"):
            batch.drop_column(name)
        for name in ("advance", "repayment", "fees", "fund_by"):
            batch.drop_column(name)
    with op.batch_alter_table("pieces") as batch:
        batch.drop_index("ix_pieces_sender_token_id")
        batch.drop_column("sender")
        batch.alter_column("state", existing_type=sa.String(24), type_=sa.String(16))
