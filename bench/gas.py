"""Gas per ledger operation beside OpenZeppelin ERC-721 mint and ERC-20 transfer baselines.

Run: .venv/bin/python bench/gas.py   (in-process eth-tester chain; gas is deterministic)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scfledger.chain.deploy import deploy_contract
from scfledger.chain.governance import encode_call
from scfledger.chain.tx import event_args
from tests.support.ledger import CORE_ENTERPRISE, DAY, SUPPLIER, Consortium, deploy_consortium, h


@dataclass(frozen=True)
class GasRow:
    operation: str
    gas: int
    note: str = ""


def _gas(receipt: object) -> int:
    return int(receipt["gasUsed"])  # type: ignore[index]


def measure() -> list[GasRow]:
    c: Consortium = deploy_consortium()
    fn = c.token.functions
    rows: list[GasRow] = []

    erc20 = deploy_contract(c.w3, "BaselineERC20", c.deployer)
    erc721 = deploy_contract(c.w3, "BaselineERC721", c.deployer)
    c.tx(erc20.functions.mint(c.supplier1, 10**24), c.supplier1)
    c.tx(erc20.functions.mint(c.supplier2, 1), c.supplier2)
    c.tx(erc721.functions.mint(c.supplier2, 1), c.supplier1)  # receiver already holds one
    mint = _gas(c.tx(erc721.functions.mint(c.supplier2, 2), c.supplier1))
    transfer = _gas(c.tx(erc20.functions.transfer(c.supplier2, 10**18), c.supplier1))
    rows.append(GasRow("baseline: OZ ERC-721 mint", mint, "to a holder of one token"))
    rows.append(GasRow("baseline: OZ ERC-20 transfer", transfer, "to a non-zero balance"))

    admit = c.registry.functions.admitMember(c.outsider, "Newco", h("l-new"), h("k-new"), SUPPLIER)
    receipt = c.tx(c.registry.functions.propose(admit.address, encode_call(admit)), c.admin1)
    proposal = event_args(c.registry, "ProposalCreated", receipt)[0]["proposalId"]
    rows.append(GasRow("propose (admit member)", _gas(receipt), "first admin, one approval"))
    approve = _gas(c.tx(c.registry.functions.approve(proposal), c.admin2))
    rows.append(GasRow("approve + execute admission", approve, "second admin of 2-of-3"))

    slot, root = c.issue(amount=10**8)
    issue = _gas(c.tx(fn.issue(c.supplier1, 10**8, b"CNY", c.now() + 90 * 86_400, h("g")), c.core))
    rows.append(GasRow("issue receivable", issue, "new slot + root piece"))
    accept = _gas(c.tx(fn.accept(slot), c.supplier1))
    rows.append(GasRow("accept", accept))

    # Depth-1 split and depth-20 split into holders that already hold pieces.
    c.split(root, "supplier2", 1000)
    depth1 = c.tx(fn.transferFrom(root, c.supplier2, 1000), c.supplier1)
    rows.append(GasRow("split at depth 1", _gas(depth1), "child pending the receiver's signature"))
    child = event_args(c.token, "PieceSplit", depth1)[0]["childTokenId"]
    signed = _gas(c.tx(fn.acceptPiece(child), c.supplier2))
    rows.append(GasRow("sign for a piece (签收)", signed))
    refused_child = c.split(root, "supplier3", 1000, sign=False)
    refused = _gas(c.tx(fn.refusePiece(refused_child, h("no")), c.supplier3))
    rows.append(GasRow("refuse a piece", refused, "value back into the sender's piece"))
    token, holders = root, ("supplier2", "supplier3")
    c.split(root, "supplier3", 1000)
    for depth in range(1, 20):
        token = c.split(token, holders[depth % 2], 10**6 - depth * 100)
    depth20 = c.tx(fn.transferFrom(token, c.accounts[holders[0]], 1000), c.accounts[holders[1]])
    assert event_args(c.token, "PieceSplit", depth20)[0]["depth"] == 20
    rows.append(GasRow("split at depth 20", _gas(depth20)))
    deep_child = event_args(c.token, "PieceSplit", depth20)[0]["childTokenId"]
    deep_signed = _gas(c.tx(fn.acceptPiece(deep_child), c.accounts[holders[0]]))
    rows.append(GasRow("sign for a piece at depth 20", deep_signed))
    whole = _gas(
        c.tx(
            fn.transferFrom(c.accounts[holders[0]], c.supplier4, token - 1), c.accounts[holders[0]]
        )
    )
    rows.append(GasRow("whole-piece transfer", whole, "ERC-721 transferFrom, pending"))
    evidence = _gas(c.tx(fn.attachEvidence(root, h("delivery-note")), c.supplier1))
    rows.append(GasRow("attach evidence", evidence))
    rows.extend(_financing_rows(c, dvp=False))
    rows.extend(_financing_rows(deploy_consortium(dvp=True), dvp=True))
    rows.extend(_setoff_rows(deploy_consortium()))
    return rows


def _setoff_rows(c: Consortium) -> list[GasRow]:
    """A round of 2 and one of 32 obligations between two members that owe each other
    (16 pieces each way); the difference gives the gas per further cleared obligation."""
    rounds = c.set_off.functions
    for name in ("core", "supplier1"):
        c.govern(c.registry.functions.setRoles(c.accounts[name], CORE_ENTERPRISE | SUPPLIER))
    gas: dict[int, tuple[int, int, int]] = {}
    for size in (2, 32):
        pieces = [
            c.issue_active(debtor=debtor, creditor=creditor, amount=10**6)[1]
            for _ in range(size // 2)
            for debtor, creditor in (("core", "supplier1"), ("supplier1", "core"))
        ]
        proposed = c.tx(rounds.propose([(p, 400_000) for p in pieces], c.now() + DAY), c.core)
        round_id = event_args(c.set_off, "RoundProposed", proposed)[0]["roundId"]
        consented = c.tx(rounds.consent(round_id), c.core)
        c.tx(rounds.consent(round_id), c.supplier1)
        executed = c.tx(rounds.execute(round_id), c.supplier2)
        gas[size] = (_gas(proposed), _gas(consented), _gas(executed))
    per_item = [(big - small) // 30 for small, big in zip(gas[2], gas[32], strict=True)]
    return [
        GasRow("set-off: propose 2 obligations", gas[2][0], "snapshots holder and value"),
        GasRow("set-off: propose 32 obligations", gas[32][0], f"{per_item[0]:,} per further one"),
        GasRow("set-off: consent", gas[2][1], "one party"),
        GasRow("set-off: execute 2 obligations", gas[2][2], "pieces reduced, netted recorded"),
        GasRow("set-off: execute 32 obligations", gas[32][2], f"{per_item[2]:,} per further one"),
    ]


def _financing_rows(c: Consortium, *, dvp: bool) -> list[GasRow]:
    """Request, offer, accept, fund, settle one and settle a batch of 50 (off-chain: reported,
    then confirmed by the payee), off-chain or DvP payment."""
    fn, finance = c.token.functions, c.financing.functions
    label = " (DvP)" if dvp else ""
    rows: list[GasRow] = []
    slot, root = c.issue_active(amount=10**8)
    pieces = [c.split(root, "supplier2", 1000) for _ in range(49)]
    piece = c.split(root, "supplier3", 10**6)
    terms = c.terms(piece, advance=900_000, repayment=927_000, fees=1_000)
    if not dvp:
        receipt = c.tx(finance.request(piece, [c.bank], terms, 0, False), c.supplier3)
        request_id = event_args(c.financing, "FinancingRequested", receipt)[0]["requestId"]
        rows.append(GasRow("financing request", _gas(receipt), "one financier, locks the piece"))
        offered = _gas(c.tx(finance.offer(request_id, terms), c.bank))
        rows.append(GasRow("offer = asked terms", offered, "sole financier: accepted at once"))
        other = c.split(root, "supplier4", 10**6)
        two = finance.request(other, [c.bank, c.bank2], terms, 0, False)
        receipt = c.tx(two, c.supplier4)
        several = event_args(c.financing, "FinancingRequested", receipt)[0]["requestId"]
        rows.append(GasRow("financing request to 2", _gas(receipt), "two financiers"))
        rows.append(GasRow("offer", _gas(c.tx(finance.offer(several, terms), c.bank2))))
        accepted = _gas(c.tx(finance.acceptOffer(several, c.bank2, terms), c.supplier4))
        rows.append(GasRow("accept an offer", accepted, "the other offers lapse"))
    else:
        request_id = c.request_accepted(piece, terms=terms)
    funded = _gas(c.tx(finance.fund(request_id, h("wire")), c.bank))
    note = (
        "assigns piece + pays advance - fees in deposit token"
        if dvp
        else "assigns piece, payment by reference"
    )
    rows.append(GasRow(f"fund, factoring{label}", funded, note))
    c.travel_to(c.due_date(root))
    one = _gas(c.tx(fn.settle(pieces[0], h("pay")), c.core))
    rows.append(GasRow(f"settle one piece{label}", one, "" if dvp else "awaits the payee"))
    if not dvp:
        confirmed = _gas(c.tx(fn.confirmPayment(pieces[0]), c.supplier2))
        rows.append(GasRow("confirm a payment", confirmed, "value leaves circulation"))
    batch = c.tx(fn.settleBatch(slot, [root, *pieces[1:], piece], h("pay-all")), c.core)
    rows.append(
        GasRow(f"settle batch of 50{label}", _gas(batch), f"{_gas(batch) // 50:,} per piece")
    )
    return rows


def main() -> None:
    rows = measure()
    by_name = {row.operation: row.gas for row in rows}
    mint = by_name["baseline: OZ ERC-721 mint"]
    transfer = by_name["baseline: OZ ERC-20 transfer"]
    table = Table(title="Gas per operation (eth-tester, solc 0.8.28, paris, optimizer 200 runs)")
    for column in ("operation", "gas", "x ERC-721 mint", "x ERC-20 transfer", "note"):
        table.add_column(column, justify="right" if column.startswith(("gas", "x")) else "left")
    for row in rows:
        table.add_row(
            row.operation,
            f"{row.gas:,}",
            f"{row.gas / mint:.2f}",
            f"{row.gas / transfer:.2f}",
            row.note,
        )
    Console(width=140).print(table)
    growth = by_name["split at depth 20"] - by_name["split at depth 1"]
    print(f"split gas growth from depth 1 to depth 20: {growth:+,} gas")


if __name__ == "__main__":
    main()
