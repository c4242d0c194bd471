"""The whole lifecycle under random sequences, with delivery versus payment and off-chain.

Rules issue, accept, split, transfer, sign for / refuse / recall, request (to one or several
financiers), offer, accept an offer, fund, withdraw, decline, repay, expire, claim and repay
recourse, settle, confirm / dispute / finalise a payment, mark overdue and defaulted, suspend
and reinstate, claim escrow; among nine members, in any order and with any arguments. Many
attempts are refused, and that is the point. After every step:
invariant 1 (value per slot is conserved, settled + netted included), invariant 2 (a locked
or financed piece did not move, split or get financed again), invariant 5 (lineage),
invariant 6 (every change of holder, lien and settlement was consented to by the party that
gave something up), invariant 7 (every obligation ends once), bookkeeping of requests, liens
and payments agrees with piece states, and cash (escrow included) is conserved.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from web3.types import TxParams, TxReceipt

from scfledger.chain.contract_types import record
from scfledger.chain.generated import Offer, PendingSettlement, PieceView, Request
from scfledger.chain.tx import event_args
from scfledger.exceptions import ContractRevert
from tests.support.ledger import DAY, MEMBERS, Consortium, deploy_consortium, h

PENDING, ACTIVE, FINANCING, FINANCED, SETTLED, OVERDUE, DEFAULTED = 1, 2, 3, 4, 5, 6, 7
AWAITING = 10
LOCKED = (FINANCING, FINANCED)
REQUESTED, ACCEPTED, FUNDED, RECOURSE_CLAIMED = 1, 2, 6, 9
ACTORS = list(MEMBERS)  # two core enterprises, four suppliers, two banks, an auditor
BANKS = ["bank", "bank2"]
SUSPENDABLE = ["supplier1", "supplier2", "bank", "bank2"]
ZERO = "0x" + "00" * 20


@cache
def _consortium(dvp: bool) -> Consortium:
    return deploy_consortium(dvp=dvp)


class LifecycleMachine(RuleBasedStateMachine):
    dvp = True

    def __init__(self) -> None:
        super().__init__()
        self.c = self.deployed()
        self.snapshot = self.c.eth_tester.take_snapshot()
        self.first_token = self.c.token.functions.lastTokenId().call() + 1
        self.first_slot = self.c.token.functions.receivableCount().call() + 1
        self.first_request = self.c.financing.functions.requestCount().call() + 1
        self.caller: TxParams = {"from": self.c.deployer}
        self.cash_supply = self.c.cash.functions.totalSupply().call() if self.dvp else 0
        self.accepted: dict[int, dict[str, Any]] = {}  # request -> terms the requester accepted
        self.settled_by_slot: dict[int, int] = {}  # value extinguished per slot, from events
        self.closed_by: dict[int, str] = {}  # request -> how its obligation ended
        self.suspended: set[str] = set()

    def deployed(self) -> Consortium:
        """The consortium the machine runs on (one per kind, reverted after each run)."""
        return _consortium(self.dvp)

    def teardown(self) -> None:
        self.c.eth_tester.revert_to_snapshot(self.snapshot)

    # ---- reading the chain ----------------------------------------------------------------

    def tokens(self) -> list[int]:
        last = self.c.call(self.c.token.functions.lastTokenId())
        return list(range(self.first_token, last + 1))

    def slots(self) -> list[int]:
        count = self.c.call(self.c.token.functions.receivableCount())
        return list(range(self.first_slot, count + 1))

    def requests(self) -> list[int]:
        count = self.c.call(self.c.financing.functions.requestCount())
        return list(range(self.first_request, count + 1))

    def piece(self, token_id: int) -> PieceView:
        return record(PieceView, self.c.call(self.c.token.functions.getPiece(token_id)))

    def record(self, request_id: int) -> Request:
        return record(Request, self.c.call(self.c.financing.functions.getRequest(request_id)))

    def pick_token(self, data: st.DataObject, wanted: tuple[int, ...] = (ACTIVE,)) -> int:
        """Mostly a piece in one of the `wanted` states, sometimes any piece."""
        tokens = self.tokens()
        fitting = [t for t in tokens if self.piece(t).state in wanted]
        if fitting and data.draw(st.integers(min_value=0, max_value=3)) > 0:
            return data.draw(st.sampled_from(fitting))
        return data.draw(st.sampled_from(tokens))

    def pick_request(self, data: st.DataObject) -> int:
        """Mostly a request that is still open or funded, sometimes any."""
        requests = self.requests()
        live = [
            r
            for r in requests
            if self.record(r).status in (REQUESTED, ACCEPTED, FUNDED, RECOURSE_CLAIMED)
        ]
        if live and data.draw(st.integers(min_value=0, max_value=3)) > 0:
            return data.draw(st.sampled_from(live))
        return data.draw(st.sampled_from(requests))

    def name_of(self, address: str) -> str:
        return next(n for n, a in self.c.accounts.items() if a == address)

    # ---- acting ---------------------------------------------------------------------------

    def send(self, call: Any, sender: str) -> bool:
        """Runs a transaction; a refusal is a legitimate outcome of a random step. A success
        is checked for consent (invariant 6) and for obligations ending once (invariant 7)."""
        try:
            receipt = self.c.tx(call, self.c.accounts[sender])
        except ContractRevert:
            event(f"{call.fn_name}: refused")
            return False
        event(f"{call.fn_name}: done")
        self.check_consent(call.fn_name, sender, receipt)
        return True

    def guarded(self, token_id: int, action: Callable[[], bool]) -> None:
        """Invariant 2: a move or a new request on a locked or financed piece must fail and
        leave the piece exactly as it was."""
        before = self.piece(token_id)
        succeeded = action()
        if before[6] in LOCKED:
            assert not succeeded, (
                f"piece {token_id} in state {before[6]} moved or was financed again"
            )
            assert self.piece(token_id) == before

    def check_consent(self, fn_name: str, sender: str, receipt: TxReceipt) -> None:
        c, by = self.c, self.c.accounts[sender]
        # Invariant 6: a piece changes hands only on its holder's word, the terms its holder
        # accepted (funding, recourse), or back to the sender of a piece not signed for.
        for moved in event_args(c.token, "Transfer", receipt):
            if moved["from"] == ZERO or moved["to"] == ZERO:
                continue
            assert (
                moved["from"] == by
                or fn_name in ("fund", "repayRecourse")
                or (fn_name == "recallPiece" and moved["to"] == by)
            ), f"{fn_name} by {sender} moved piece {moved['tokenId']} without its holder"
        for accepted in event_args(c.financing, "FinancingAccepted", receipt):
            request = self.record(accepted["requestId"])
            if fn_name == "acceptOffer":
                assert by == request[2]
            else:  # a sole financier's offer equal to the asked terms
                assert fn_name == "offer"
                assert len(request[3]) == 1
                assert tuple(accepted["terms"].values()) == tuple(request[11])
            self.accepted[accepted["requestId"]] = dict(accepted["terms"])
        for funded in event_args(c.financing, "FinancingFunded", receipt):
            terms = self.accepted[funded["requestId"]]
            assert (funded["advance"], funded["fees"]) == (terms["advance"], terms["fees"])
        # A value extinguished off-chain was confirmed by its payee or deemed so after the
        # window; on-chain it was paid in the same transaction.
        for settled in event_args(c.token, "PieceSettled", receipt):
            if settled["paidOnChain"]:
                assert self.dvp
                assert fn_name in ("settle", "settleBatch")
            elif fn_name == "confirmPayment":
                payee = (
                    settled["lienHolder"] if settled["lienHolder"] != ZERO else settled["holder"]
                )
                assert by == payee
            else:
                assert fn_name == "finalizeSettlement"
            self.settled_by_slot[settled["slot"]] = (
                self.settled_by_slot.get(settled["slot"], 0) + settled["amount"]
            )
        # Invariant 7: each financing obligation ends in exactly one way.
        for name in ("FinancingSettled", "RecourseRepaid", "LoanRepaid"):
            for ended in event_args(c.financing, name, receipt):
                request_id = ended["requestId"]
                assert request_id not in self.closed_by, (
                    f"request {request_id} ended twice: {self.closed_by[request_id]}, {name}"
                )
                self.closed_by[ended["requestId"]] = name

    # ---- rules: receivables and pieces ------------------------------------------------------

    @initialize()
    def seed(self) -> None:
        c = self.c
        due = c.now() + 60 * DAY
        c.tx(c.token.functions.issue(c.supplier1, 1_000_000, b"CNY", due, h("seed")), c.core)
        c.tx(c.token.functions.accept(self.first_slot), c.supplier1)

    @rule(
        debtor=st.sampled_from(["core", "core2", "supplier1"]),
        creditor=st.sampled_from(["supplier1", "supplier2", "bank"]),
        amount=st.integers(min_value=1, max_value=2_000_000),
        days=st.integers(min_value=1, max_value=120),
    )
    def issue(self, debtor: str, creditor: str, amount: int, days: int) -> None:
        c = self.c
        call = c.token.functions.issue(
            c.accounts[creditor], amount, b"CNY", c.now() + days * DAY, c.next_document()
        )
        if self.send(call, debtor):
            self.send(c.token.functions.accept(self.slots()[-1]), creditor)

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), to=st.sampled_from(ACTORS), whole=st.booleans())
    def split_or_transfer(self, data: st.DataObject, to: str, whole: bool) -> None:
        c = self.c
        token_id = self.pick_token(data)
        holder, value = self.piece(token_id).holder, self.piece(token_id).value
        amount = data.draw(st.integers(min_value=1, max_value=max(value, 1)))
        fn = c.token.functions
        call = (
            fn.transferFrom(holder, c.accounts[to], token_id)
            if whole
            else fn.transferFrom(token_id, c.accounts[to], amount)
        )
        self.guarded(token_id, lambda: self.send(call, self.name_of(holder)))

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), action=st.sampled_from(["sign", "sign", "refuse", "recall"]))
    def receipt_of_a_piece(self, data: st.DataObject, action: str) -> None:
        """签收: the receiver signs for or refuses a sent piece, or the sender recalls it."""
        fn = self.c.token.functions
        token_id = self.pick_token(data, (PENDING,))
        piece = self.piece(token_id)
        receiver = self.name_of(piece[2])
        sender = self.name_of(piece[9]) if piece[9] != ZERO else receiver
        calls = {
            "sign": (fn.acceptPiece(token_id), receiver),
            "refuse": (fn.refusePiece(token_id, h("no")), receiver),
            "recall": (fn.recallPiece(token_id), sender),
        }
        call, by = calls[action]
        succeeded = self.send(call, by)
        assert succeeded == (piece[6] == PENDING and piece[9] != ZERO and by not in self.suspended)

    # ---- rules: financing -------------------------------------------------------------------

    def _terms(self, data: st.DataObject, token_id: int) -> tuple[int, int, int, int]:
        value = self.piece(token_id).value
        advance = data.draw(st.integers(min_value=1, max_value=max(value, 1)))
        fees = data.draw(st.integers(min_value=0, max_value=advance // 50))
        due = self.c.due_date(token_id)
        fund_by = max(min(self.c.now() + 2 * DAY, due - 1), self.c.now() + 1)
        return (advance, advance + advance * 3 // 100, fees, fund_by)

    @precondition(lambda self: self.tokens())
    @rule(
        data=st.data(),
        financiers=st.sampled_from([["bank"], ["bank2"], ["bank", "bank2"], ["supplier2"]]),
        pledge=st.booleans(),
        recourse=st.booleans(),
    )
    def request(
        self, data: st.DataObject, financiers: list[str], pledge: bool, recourse: bool
    ) -> None:
        c = self.c
        token_id = self.pick_token(data)
        holder = self.piece(token_id).holder
        call = c.financing.functions.request(
            token_id,
            [c.accounts[f] for f in financiers],
            self._terms(data, token_id),
            int(pledge),
            recourse,
        )
        self.guarded(token_id, lambda: self.send(call, self.name_of(holder)))

    @precondition(lambda self: self.requests())
    @rule(data=st.data(), asked=st.booleans(), bank=st.sampled_from(BANKS))
    def offer(self, data: st.DataObject, asked: bool, bank: str) -> None:
        request_id = self.pick_request(data)
        record = self.record(request_id)
        terms = tuple(record[11]) if asked else self._terms(data, record[1])
        self.send(self.c.financing.functions.offer(request_id, terms), bank)

    @precondition(lambda self: self.requests())
    @rule(data=st.data(), bank=st.sampled_from(BANKS))
    def accept_offer(self, data: st.DataObject, bank: str) -> None:
        fn = self.c.financing.functions
        request_id = self.pick_request(data)
        request = self.record(request_id)
        offer = self.c.call(fn.getOffer(request_id, self.c.accounts[bank]))
        offered = tuple(record(Offer, offer).terms)
        self.send(
            fn.acceptOffer(request_id, self.c.accounts[bank], offered),
            self.name_of(request.requester),
        )

    @precondition(lambda self: self.requests())
    @rule(
        data=st.data(),
        action=st.sampled_from(
            ["fund", "fund", "reject", "withdraw", "repay", "expire", "claim", "repay_recourse"]
        ),
    )
    def answer(self, data: st.DataObject, action: str) -> None:
        fn = self.c.financing.functions
        request_id = self.pick_request(data)
        record = self.record(request_id)
        requester = self.name_of(record[2])
        financier = (
            self.name_of(record[4]) if record[4] != ZERO else data.draw(st.sampled_from(BANKS))
        )
        payer = data.draw(st.sampled_from([financier, requester]))
        calls = {
            "fund": (fn.fund(request_id, h(f"wire-{request_id}")), financier),
            "reject": (fn.reject(request_id, h("no")), data.draw(st.sampled_from(BANKS))),
            "withdraw": (fn.withdraw(request_id), requester),
            "repay": (fn.repay(request_id, h(f"repay-{request_id}")), payer),
            "expire": (fn.expire(request_id), "auditor"),
            "claim": (fn.claimRecourse(request_id), financier),
            "repay_recourse": (fn.repayRecourse(request_id, h(f"back-{request_id}")), payer),
        }
        call, sender = calls[action]
        self.send(call, sender)

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), bank=st.sampled_from(BANKS), pledge=st.booleans(), recourse=st.booleans())
    def finance_in_one_go(
        self, data: st.DataObject, bank: str, pledge: bool, recourse: bool
    ) -> None:
        """Request, offer the asked terms and fund in one step, so financed pieces are common."""
        c = self.c
        fn = c.financing.functions
        token_id = self.pick_token(data)
        holder = self.piece(token_id).holder
        terms = self._terms(data, token_id)
        requested = fn.request(token_id, [c.accounts[bank]], terms, int(pledge), recourse)
        self.guarded(token_id, lambda: self.send(requested, self.name_of(holder)))
        if self.piece(token_id).state == FINANCING:
            request_id = self.c.call(fn.openRequestOf(token_id))
            self.send(fn.offer(request_id, terms), bank)
            self.send(fn.fund(request_id, h(f"wire-{request_id}")), bank)

    # ---- rules: maturity --------------------------------------------------------------------

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), days_late=st.integers(min_value=0, max_value=40))
    def settle_at_maturity(self, data: st.DataObject, days_late: int) -> None:
        c = self.c
        token_id = self.pick_token(data, (ACTIVE, FINANCED, OVERDUE, DEFAULTED))
        receivable = self.c.call(c.token.functions.getReceivable(self.piece(token_id).slot))
        c.travel_to(max(receivable[6] + days_late * DAY, c.now() + 1))
        ref = h(f"pay-{token_id}-{data.draw(st.integers(min_value=0, max_value=2))}")
        self.send(c.token.functions.settle(token_id, ref), self.name_of(receivable[1]))

    @precondition(lambda self: not self.dvp and self.tokens())
    @rule(data=st.data(), action=st.sampled_from(["confirm", "confirm", "dispute", "finalize"]))
    def answer_a_payment(self, data: st.DataObject, action: str) -> None:
        """The payee confirms or disputes an off-chain payment, or the debtor finalises it
        after the confirmation window."""
        c = self.c
        fn = c.token.functions
        token_id = self.pick_token(data, (AWAITING,))
        payment = self.c.call(fn.settlementOf(token_id))
        payee = (
            self.name_of(payment[3]) if payment[3] != ZERO else data.draw(st.sampled_from(ACTORS))
        )
        if action == "finalize":
            c.travel_to(max(payment[1] + 1, c.now() + 1))
            debtor = c.receivable_record(self.piece(token_id).slot).debtor
            self.send(fn.finalizeSettlement(token_id), self.name_of(debtor))
        elif action == "confirm":
            self.send(fn.confirmPayment(token_id), payee)
        else:
            self.send(fn.disputePayment(token_id, h("not-received")), payee)

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), default=st.booleans())
    def mark_overdue_or_defaulted(self, data: st.DataObject, default: bool) -> None:
        c = self.c
        token_id = self.pick_token(data, (OVERDUE,) if default else (ACTIVE, FINANCED))
        receivable = self.c.call(c.token.functions.getReceivable(self.piece(token_id).slot))
        late = receivable[11] + (receivable[12] if default else 0)
        c.travel_to(max(receivable[6] + late, c.now() + 1))
        fn = c.token.functions
        self.send(fn.markDefaulted(token_id) if default else fn.markOverdue(token_id), "auditor")

    @rule(member=st.sampled_from(SUSPENDABLE))
    def suspend_or_reinstate(self, member: str) -> None:
        c = self.c
        registry = c.registry.functions
        if member in self.suspended:
            c.govern(registry.reinstateMember(c.accounts[member]))
            self.suspended.remove(member)
            if self.dvp and self.c.call(c.cash.functions.escrowOf(c.accounts[member])):
                assert self.send(c.cash.functions.claimEscrow(), member)
        else:
            c.govern(registry.suspendMember(c.accounts[member], h("inquiry")))
            self.suspended.add(member)

    # ---- invariants -----------------------------------------------------------------------

    @invariant()
    def ledger_is_consistent(self) -> None:
        c = self.c
        pieces = {t: self.piece(t) for t in self.tokens()}
        for slot in self.slots():
            receivable = self.c.call(c.token.functions.getReceivable(slot))
            # Invariant 1: live value + settled value + netted value == face amount.
            live = sum(p[3] for p in pieces.values() if p[1] == slot)
            assert live + receivable[9] + receivable[15] == receivable[3]
            # Invariant 7: what left circulation is exactly what payees confirmed or were paid.
            assert receivable[9] == self.settled_by_slot.get(slot, 0)
        fn = c.financing.functions
        for token_id, piece in pieces.items():
            # Invariant 5: the parent is in the same slot, one level up; the root has none.
            if piece[4] != 0:
                parent = pieces.get(piece[4]) or self.piece(piece[4])
                assert (parent[1], parent[5] + 1) == (piece[1], piece[5])
            # Bookkeeping of requests, liens and payments agrees with piece states.
            open_id = self.c.call(fn.openRequestOf(token_id))
            lien_id = self.c.call(fn.lienOf(token_id))[0]
            if piece[6] == FINANCING:
                assert open_id != 0
                assert self.record(open_id).status in (REQUESTED, ACCEPTED)
            else:
                assert open_id == 0
            if lien_id != 0:
                request = self.record(lien_id)
                assert (request[5], request[7], request[4] != piece[2]) == (1, FUNDED, True)
                assert piece[6] in (FINANCED, OVERDUE, DEFAULTED, AWAITING)
            pending = self.c.call(c.token.functions.settlementOf(token_id))
            awaiting = record(PendingSettlement, pending).confirm_by != 0
            assert awaiting == (piece[6] == AWAITING)
            if piece[6] == SETTLED:
                assert piece[3] == 0
            if piece[6] == PENDING and piece[4] != 0:
                assert piece[9] not in (ZERO, piece[2])  # sent by someone else, not signed yet
        if self.dvp:
            # Cash is conserved: nothing minted or burned, all of it held by members or escrow.
            cash = c.cash.functions
            escrow = sum(self.c.call(cash.escrowOf(c.accounts[n])) for n in MEMBERS)
            assert self.c.call(cash.balanceOf(c.cash.address)) == escrow
            held = sum(self.c.call(cash.balanceOf(c.accounts[n])) for n in MEMBERS)
            assert self.c.call(cash.totalSupply()) == self.cash_supply == held + escrow


class OffChainLifecycleMachine(LifecycleMachine):
    dvp = False


SETTINGS = settings(
    max_examples=5,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LifecycleMachine.TestCase.settings = SETTINGS
OffChainLifecycleMachine.TestCase.settings = SETTINGS
test_lifecycle_invariants_with_delivery_versus_payment = LifecycleMachine.TestCase
test_lifecycle_invariants_off_chain = OffChainLifecycleMachine.TestCase
