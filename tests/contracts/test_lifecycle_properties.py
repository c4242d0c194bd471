"""The whole lifecycle under random sequences, with delivery versus payment.

Rules issue, accept, split, transfer, request, approve, reject, withdraw, fund, repay,
settle and mark overdue among nine members, in any order and with any arguments; many
attempts are refused, and that is the point. After every step: invariant 1 (value per
slot is conserved), invariant 2 (a locked or financed piece did not move, split or get
financed again), financing bookkeeping agrees with piece states, and cash is conserved.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from web3.types import TxParams

from scfledger.exceptions import ContractRevert
from tests.fixtures.ledger import DAY, MEMBERS, Consortium, deploy_consortium, h

ACTIVE, FINANCING, FINANCED, SETTLED, OVERDUE = 2, 3, 4, 5, 6
LOCKED = (FINANCING, FINANCED)
REQUESTED, APPROVED, FUNDED = 1, 2, 6
ACTORS = list(MEMBERS)  # two core enterprises, four suppliers, two banks, an auditor
HOLDERS = ["supplier1", "supplier2", "supplier3", "supplier4", "bank", "bank2"]
BANKS = ["bank", "bank2"]


@cache
def _consortium() -> Consortium:
    return deploy_consortium(dvp=True)


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.c = _consortium()
        self.snapshot = self.c.eth_tester.take_snapshot()
        self.first_token = self.c.token.functions.lastTokenId().call() + 1
        self.first_slot = self.c.token.functions.receivableCount().call() + 1
        self.first_request = self.c.financing.functions.requestCount().call() + 1
        self.cash_supply = self.c.cash.functions.totalSupply().call()
        self.caller: TxParams = {"from": self.c.deployer}

    def teardown(self) -> None:
        self.c.eth_tester.revert_to_snapshot(self.snapshot)

    # ---- reading the chain ----------------------------------------------------------------

    def tokens(self) -> list[int]:
        return list(
            range(self.first_token, self.c.token.functions.lastTokenId().call(self.caller) + 1)
        )

    def slots(self) -> list[int]:
        return list(
            range(self.first_slot, self.c.token.functions.receivableCount().call(self.caller) + 1)
        )

    def requests(self) -> list[int]:
        return list(
            range(
                self.first_request, self.c.financing.functions.requestCount().call(self.caller) + 1
            )
        )

    def pick_token(self, data: st.DataObject) -> int:
        """Mostly a piece that can act (Active), sometimes any piece, locked ones included."""
        tokens = self.tokens()
        active = [t for t in tokens if self.piece(t)[6] == ACTIVE]
        if active and data.draw(st.integers(min_value=0, max_value=3)) > 0:
            return data.draw(st.sampled_from(active))
        return data.draw(st.sampled_from(tokens))

    def pick_request(self, data: st.DataObject) -> int:
        """Mostly a request that is still open or funded, sometimes any."""
        fn = self.c.financing.functions
        requests = self.requests()
        live = [
            r
            for r in requests
            if fn.getRequest(r).call(self.caller)[8] in (REQUESTED, APPROVED, FUNDED)
        ]
        if live and data.draw(st.integers(min_value=0, max_value=3)) > 0:
            return data.draw(st.sampled_from(live))
        return data.draw(st.sampled_from(requests))

    def piece(self, token_id: int) -> Any:
        return self.c.token.functions.getPiece(token_id).call(self.caller)

    def name_of(self, address: str) -> str:
        return next(n for n, a in self.c.accounts.items() if a == address)

    def attempt(self, action: Callable[[], object]) -> bool:
        """Runs a transaction; a refusal is a legitimate outcome of a random step."""
        try:
            action()
        except ContractRevert:
            return False
        return True

    def send(self, call: Any, sender: str) -> bool:
        succeeded = self.attempt(lambda: self.c.tx(call, self.c.accounts[sender]))
        event(f"{call.fn_name}: {'done' if succeeded else 'refused'}")
        return succeeded

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

    # ---- rules ----------------------------------------------------------------------------

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
        self.send(call, debtor)

    @precondition(lambda self: self.slots())
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        slot = data.draw(st.sampled_from(self.slots()))
        creditor = self.name_of(self.c.token.functions.getReceivable(slot).call(self.caller)[2])
        self.send(self.c.token.functions.accept(slot), creditor)

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), to=st.sampled_from(ACTORS), whole=st.booleans())
    def split_or_transfer(self, data: st.DataObject, to: str, whole: bool) -> None:
        c = self.c
        token_id = self.pick_token(data)
        holder, value = self.piece(token_id)[2], self.piece(token_id)[3]
        amount = data.draw(st.integers(min_value=1, max_value=max(value, 1)))
        fn = c.token.functions
        call = (
            fn.transferFrom(holder, c.accounts[to], token_id)
            if whole
            else fn.transferFrom(token_id, c.accounts[to], amount)
        )
        self.guarded(token_id, lambda: self.send(call, self.name_of(holder)))

    @precondition(lambda self: self.tokens())
    @rule(
        data=st.data(),
        financier=st.sampled_from([*BANKS, *BANKS, "supplier2"]),
        rate=st.integers(min_value=0, max_value=2000),
        pledge=st.booleans(),
        recourse=st.booleans(),
    )
    def request(
        self, data: st.DataObject, financier: str, rate: int, pledge: bool, recourse: bool
    ) -> None:
        c = self.c
        token_id = self.pick_token(data)
        holder, value = self.piece(token_id)[2], self.piece(token_id)[3]
        amount = data.draw(st.integers(min_value=1, max_value=max(value, 1)))
        call = c.financing.functions.request(
            token_id, c.accounts[financier], amount, rate, int(pledge), recourse
        )
        self.guarded(token_id, lambda: self.send(call, self.name_of(holder)))

    @precondition(lambda self: self.requests())
    @rule(
        data=st.data(),
        action=st.sampled_from(
            ["approve", "approve", "fund", "fund", "reject", "withdraw", "repay", "expire"]
        ),
    )
    def answer(self, data: st.DataObject, action: str) -> None:
        c = self.c
        fn = c.financing.functions
        request_id = self.pick_request(data)
        record = fn.getRequest(request_id).call(self.caller)
        financier, requester = self.name_of(record[3]), self.name_of(record[2])
        calls = {
            "approve": (fn.approve(request_id, record[4], record[5]), financier),
            "reject": (fn.reject(request_id, h("no")), financier),
            "withdraw": (fn.withdraw(request_id), requester),
            "fund": (fn.fund(request_id, h(f"wire-{request_id}")), financier),
            "repay": (
                fn.repay(request_id, h(f"repay-{request_id}")),
                data.draw(st.sampled_from([financier, requester])),
            ),
            "expire": (fn.expire(request_id), "auditor"),
        }
        call, sender = calls[action]
        self.send(call, sender)

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), bank=st.sampled_from(BANKS), pledge=st.booleans(), recourse=st.booleans())
    def finance_in_one_go(
        self, data: st.DataObject, bank: str, pledge: bool, recourse: bool
    ) -> None:
        """Request, approve and fund a piece in one step, so financed pieces are common."""
        c = self.c
        fn = c.financing.functions
        token_id = self.pick_token(data)
        holder, value = self.piece(token_id)[2], self.piece(token_id)[3]
        amount = max(value * 9 // 10, 1)
        requested = c.financing.functions.request(
            token_id, c.accounts[bank], amount, 300, int(pledge), recourse
        )
        self.guarded(token_id, lambda: self.send(requested, self.name_of(holder)))
        if self.piece(token_id)[6] == FINANCING:
            request_id = fn.openRequestOf(token_id).call(self.caller)
            self.send(fn.approve(request_id, amount, 300), bank)
            self.send(fn.fund(request_id, h(f"wire-{request_id}")), bank)

    @precondition(lambda self: self.tokens())
    @rule(data=st.data(), days_late=st.integers(min_value=0, max_value=10))
    def settle_at_maturity(self, data: st.DataObject, days_late: int) -> None:
        c = self.c
        token_id = data.draw(st.sampled_from(self.tokens()))
        receivable = c.token.functions.getReceivable(self.piece(token_id)[1]).call(self.caller)
        c.travel_to(max(receivable[6] + days_late * DAY, c.now() + 1))
        self.send(
            c.token.functions.settle(token_id, h(f"pay-{token_id}")), self.name_of(receivable[1])
        )

    @precondition(lambda self: self.tokens())
    @rule(data=st.data())
    def mark_overdue(self, data: st.DataObject) -> None:
        c = self.c
        token_id = data.draw(st.sampled_from(self.tokens()))
        receivable = c.token.functions.getReceivable(self.piece(token_id)[1]).call(self.caller)
        c.travel_to(max(receivable[6] + 3 * DAY, c.now() + 1))
        self.send(c.token.functions.markOverdue(token_id), "auditor")

    # ---- invariants -----------------------------------------------------------------------

    @invariant()
    def ledger_is_consistent(self) -> None:
        c = self.c
        pieces = {t: self.piece(t) for t in self.tokens()}
        # Invariant 1: live value + settled value == face amount in every slot.
        for slot in self.slots():
            receivable = c.token.functions.getReceivable(slot).call(self.caller)
            live = sum(p[3] for p in pieces.values() if p[1] == slot)
            assert live + receivable[9] == receivable[3]
        # Financing bookkeeping agrees with piece states.
        fn = c.financing.functions
        for token_id, piece in pieces.items():
            open_id = fn.openRequestOf(token_id).call(self.caller)
            lien_id = fn.lienOf(token_id).call(self.caller)[0]
            if piece[6] == FINANCING:
                assert open_id != 0
                assert fn.getRequest(open_id).call(self.caller)[8] in (REQUESTED, APPROVED)
            else:
                assert open_id == 0
            if lien_id != 0:
                request = fn.getRequest(lien_id).call(self.caller)
                assert (request[6], request[8], request[3] != piece[2]) == (1, FUNDED, True)
                assert piece[6] in (FINANCED, OVERDUE)
            if piece[6] == SETTLED:
                assert piece[3] == 0
        # Cash is conserved: nothing minted or burned, all of it held by members.
        cash = c.cash.functions
        assert cash.totalSupply().call(self.caller) == self.cash_supply
        assert (
            sum(cash.balanceOf(c.accounts[n]).call(self.caller) for n in MEMBERS)
            == self.cash_supply
        )


LifecycleMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_lifecycle_invariants = LifecycleMachine.TestCase
