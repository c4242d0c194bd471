"""The demo story on an embedded chain: a consortium confirms, splits, finances and settles a
receivable, and three firms that owe each other in a circle clear it by set-off, every step
with the consent of the party that gives something up."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from eth_typing import ChecksumAddress
from web3 import EthereumTesterProvider, Web3

from scfledger.chain.contract_types import record
from scfledger.chain.deploy import DAY, DeployedLedger, InitialAdmin, deploy_ledger
from scfledger.chain.generated import PendingSettlement, PieceView, Receivable, Role
from scfledger.chain.governance import govern
from scfledger.chain.identity import identity_anchor, new_salt
from scfledger.chain.tx import event_args, send
from scfledger.money import as_decimal, parse_amount
from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import plan
from scfledger.setoff.rounds import rounds

FOUNDERS = ("Consortium Admin A", "Consortium Admin B", "Consortium Admin C")
MEMBERS: dict[str, int] = {
    "Core Motors": Role.CORE_ENTERPRISE,
    "Tier-1 Chassis": Role.SUPPLIER,
    "Tier-2 Steel": Role.SUPPLIER,
    "Tier-3 Ore": Role.SUPPLIER,
    "Harbour Bank": Role.FINANCIER,
    "Regulator": Role.AUDITOR,
}
# Firms that buy and sell in one circuit (each CORE_ENTERPRISE and SUPPLIER: each owes and
# is owed), so their debts can run in a circle for set-off (docs/setoff.md).
TRADERS: dict[str, int] = {
    "Axle Works": Role.CORE_ENTERPRISE | Role.SUPPLIER,
    "Brake Systems": Role.CORE_ENTERPRISE | Role.SUPPLIER,
    "Cable Harness": Role.CORE_ENTERPRISE | Role.SUPPLIER,
}
# Who owes whom in the circle, in CNY.
CIRCLE = (
    ("Axle Works", "Brake Systems", "300000.00"),
    ("Brake Systems", "Cable Harness", "200000.00"),
    ("Cable Harness", "Axle Works", "250000.00"),
)


def cny(minor: int) -> str:
    """Fen as yuan for people: `100000000` -> "1,000,000.00" (exact, grouped)."""
    return f"{as_decimal(minor, 'CNY'):,}"


def _fen(text: str) -> int:
    return parse_amount(text, "CNY")


def _hash(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _credit_code(name: str) -> str:
    """A made-up unified social credit code: public, so only its salted anchor goes on-chain."""
    return f"91310000MA{zlib.crc32(name.encode()):08d}"


@dataclass(frozen=True)
class PieceRow:
    token_id: int
    parent: int
    depth: int
    holder: str
    paid: int
    state: str


@dataclass(frozen=True)
class DemoResult:
    ledger: DeployedLedger
    members: dict[str, ChecksumAddress]
    slot: int
    face_amount: int
    settled_amount: int
    pieces: list[PieceRow]
    steps: list[str]
    netted: dict[str, int]  # set-off: what each firm of the circle owed before -> cleared


def run_demo(log: Any = print) -> DemoResult:
    """Deploys on an in-process chain, admits members by 2-of-3 admin approval (legal ids
    anchored salted), then the core enterprise confirms a receivable that flows down three
    supplier tiers, each receiver signing for its piece; a tier-3 supplier factors its piece
    at the bank on terms it asked and the bank offered; at maturity the debtor pays every
    holder off-chain by reference and each payee confirms the payment. Then three firms
    that owe each other in a circle clear it by set-off: the planner's round, each firm's
    consent, atomic execution."""
    # The founders, every member and a deployer, each its own account.
    accounts_needed = len(FOUNDERS) + len(MEMBERS) + len(TRADERS) + 1
    genesis = PyEVMBackend.generate_genesis_state(num_accounts=accounts_needed)
    tester = EthereumTester(PyEVMBackend(genesis_state=genesis))
    w3 = Web3(EthereumTesterProvider(tester))
    accounts = list(w3.eth.accounts)
    admins = dict(zip(FOUNDERS, accounts[:3], strict=True))
    members = dict(zip([*MEMBERS, *TRADERS], accounts[3:-1], strict=True))
    names = {address: name for name, address in {**admins, **members}.items()}
    steps: list[str] = []

    def step(text: str) -> None:
        steps.append(text)
        log(text)

    salts = {name: new_salt() for name in [*FOUNDERS, *MEMBERS, *TRADERS]}  # kept by each

    def anchors(name: str) -> tuple[bytes, bytes]:
        salt = salts[name]
        return identity_anchor(salt, _credit_code(name)), identity_anchor(salt, f"kyc:{name}")

    ledger = deploy_ledger(
        w3,
        deployer=accounts[-1],
        admins=[InitialAdmin(a, n, *anchors(n)) for n, a in admins.items()],
    )
    step(f"deployed registry {ledger.registry.address} and token {ledger.token.address}")
    proposer, approver = accounts[0], accounts[1]
    for name, roles in {**MEMBERS, **TRADERS}.items():
        admit = ledger.registry.functions.admitMember(members[name], name, *anchors(name), roles)
        govern(w3, ledger.registry, admit, proposer=proposer, approvers=[approver])
        step(f"admitted {name} (proposed by {names[proposer]}, approved by {names[approver]})")

    token = ledger.token.functions
    face = _fen("1000000.00")
    due = int(w3.eth.get_block("latest")["timestamp"]) + 90 * DAY
    receipt = send(
        w3,
        token.issue(members["Tier-1 Chassis"], face, b"CNY", due, _hash("invoice CM-2026-0042")),
        members["Core Motors"],
    )
    slot = int(event_args(ledger.token, "ReceivableIssued", receipt)[0]["slot"])
    root = int(event_args(ledger.token, "ReceivableIssued", receipt)[0]["tokenId"])
    step(f"Core Motors confirmed {cny(face)} CNY owed to Tier-1 Chassis (slot {slot})")
    send(w3, token.accept(slot), members["Tier-1 Chassis"])
    step("Tier-1 Chassis accepted the receivable (two-party confirmation)")

    def split(token_id: int, sender: str, to: str, value: int) -> int:
        receipt = send(w3, token.transferFrom(token_id, members[to], value), members[sender])
        child = int(event_args(ledger.token, "PieceSplit", receipt)[0]["childTokenId"])
        step(f"{sender} paid {to} {cny(value)} CNY with piece #{child} of #{token_id}")
        send(w3, token.acceptPiece(child), members[to])
        step(f"{to} signed for piece #{child} (签收)")
        return child

    steel = split(root, "Tier-1 Chassis", "Tier-2 Steel", _fen("400000.00"))
    ore = split(steel, "Tier-2 Steel", "Tier-3 Ore", _fen("150000.00"))

    finance = ledger.financing.functions
    bank, ore_supplier = members["Harbour Bank"], members["Tier-3 Ore"]
    now = int(w3.eth.get_block("latest")["timestamp"])
    # Amounts, not rates: 145,000.00 advanced less 500.00 fees for a 150,000.00 piece
    # (the discount is the difference), no recourse, funded within two days.
    terms = (_fen("145000.00"), 0, _fen("500.00"), now + 2 * DAY)
    receipt = send(w3, finance.request(ore, [bank], terms, 0, False), ore_supplier)
    request_id = int(event_args(ledger.financing, "FinancingRequested", receipt)[0]["requestId"])
    step(f"Tier-3 Ore asked Harbour Bank to factor piece #{ore}: 145,000.00 CNY, fees 500.00")
    send(w3, finance.offer(request_id, terms), bank)
    step("Harbour Bank offered exactly the asked terms: accepted")
    send(w3, finance.fund(request_id, _hash("wire HB-77")), bank)
    step(f"Harbour Bank funded it; piece #{ore} now belongs to the bank")

    tester.time_travel(due)
    all_pieces = list(range(root, int(token.lastTokenId().call()) + 1))
    send(w3, token.settleBatch(slot, all_pieces, _hash("CM payment run")), members["Core Motors"])
    step(
        f"at maturity Core Motors reported paying all {len(all_pieces)} pieces (ref CM payment run)"
    )
    paid: dict[int, int] = {}
    for token_id in all_pieces:
        pending = record(PendingSettlement, token.settlementOf(token_id).call())
        payee = Web3.to_checksum_address(pending.payee)
        receipt = send(w3, token.confirmPayment(token_id), payee)
        for confirmed in event_args(ledger.token, "PieceSettled", receipt):
            paid[int(confirmed["tokenId"])] = int(confirmed["amount"])
        step(f"{names[payee]} confirmed receiving payment for piece #{token_id}")

    pieces = []
    for token_id in all_pieces:
        piece = record(PieceView, token.getPiece(token_id).call())
        state = piece.state.name.title().replace("_", "")  # as in Solidity: `Settled`
        pieces.append(
            PieceRow(
                token_id,
                piece.parent_token_id,
                piece.depth,
                names[Web3.to_checksum_address(piece.holder)],
                paid[token_id],
                state,
            )
        )
    settled = record(Receivable, token.getReceivable(slot).call()).settled_value
    netted = _set_off(w3, ledger, members, step)
    return DemoResult(ledger, members, slot, face, settled, pieces, steps, netted)


def _set_off(
    w3: Web3, ledger: DeployedLedger, members: dict[str, ChecksumAddress], step: Any
) -> dict[str, int]:
    """Three firms owe each other in a circle: the planner's round clears the smallest debt
    around it; each firm consents; the round executes. Returns what each cleared."""
    token = ledger.token.functions
    names: dict[str, str] = {address: name for name, address in members.items()}
    due = int(w3.eth.get_block("latest")["timestamp"]) + 90 * DAY
    owed = []
    for debtor, creditor, amount in CIRCLE:
        invoice = _hash(f"invoice {debtor} to {creditor}")
        receipt = send(w3, token.issue(members[creditor], _fen(amount), b"CNY", due, invoice),
                       members[debtor])  # fmt: skip
        issued = event_args(ledger.token, "ReceivableIssued", receipt)[0]
        send(w3, token.accept(int(issued["slot"])), members[creditor])
        owed.append(
            Obligation(int(issued["tokenId"]), members[debtor], members[creditor], _fen(amount))
        )
        step(f"{debtor} owes {creditor} {cny(_fen(amount))} CNY (accepted)")
    minimum = int(token.minPieceValue().call())
    (planned,) = rounds(plan(owed, minimum=minimum), owed, minimum=minimum)
    items = [(c.piece, c.amount) for c in planned.items]
    deadline = int(w3.eth.get_block("latest")["timestamp"]) + 7 * DAY  # every consent by then
    receipt = send(w3, ledger.set_off.functions.propose(items, deadline), members["Axle Works"])
    round_id = int(event_args(ledger.set_off, "RoundProposed", receipt)[0]["roundId"])
    step(f"Axle Works proposed set-off round {round_id}: {cny(planned.total)} CNY in all")
    for name in TRADERS:
        send(w3, ledger.set_off.functions.consent(round_id), members[name])
        step(f"{name} consented to round {round_id}")
    send(w3, ledger.set_off.functions.execute(round_id), members["Axle Works"])
    cleared = {names[c.debtor]: c.amount for c in planned.items}
    each = cny(min(cleared.values()))
    step(f"round {round_id} executed: each firm's debt and claim shrank by {each} CNY, no cash")
    return cleared
