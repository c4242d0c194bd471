"""50 concurrent SME clients through the REST API (SDK) beside raw web3 sends, one anvil run.

Run: .venv/bin/python bench/api.py [--smes 50] [--transfers 4] [--reads 20] [--postgres]

A gateway is served by uvicorn over anvil (automine: a block per transaction) with a
consortium of one core enterprise, one bank, one auditor and N SMEs. Set-up (not timed):
the core issues one 1,000,000 receivable to each SME, each accepts. Then, each phase with
one thread per SME and its own `ScfClient`:
- transfers: each SME sends `--transfers` pieces of 20,000 to the next SME (`wait=indexed`);
  (not timed) each receiver signs for them (签收);
- financing: each SME asks the bank to factor its remaining piece (`wait=indexed`);
- raw chain: each SME sends the same contract call (`ReceivableToken.transferFrom` of 10,000
  out of each piece it received) with web3.py: estimate, sign, send, then every receipt;
- reads: each SME alternates `GET /v1/pieces` and `GET /v1/pieces/{id}/lineage`.
Latency of a write is from the request until the API answers with the operation `indexed`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serving import served

from scfledger.chain.calls import ContractCall
from scfledger.chain.fees import FeePolicy
from scfledger.chain.generated import Role
from scfledger.chain.node import connect
from scfledger.chain.tx import GAS_MARGIN
from scfledger.keys.store import KeyStore
from scfledger_client import ScfClient, Written
from scfledger_client.models import FinancingIn, IssueIn, OperationOut, TermsIn, TransferIn
from tests.support.served import Served

DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def event(op: Written, name: str) -> dict[str, Any]:
    assert isinstance(op, OperationOut), op  # the bench checks nothing: no drafts
    assert op.status == "indexed", op
    return next(e.args for e in op.events if e.name == name)


def timed(clients: list[ScfClient], work: Callable[[int, ScfClient], list[float]]) -> Phase:
    """Runs `work(i, client)` in one thread per client; it returns its per-call latencies."""
    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        batches = list(pool.map(work, range(len(clients)), clients))
    seconds = time.perf_counter() - started
    return Phase("", seconds, [latency for batch in batches for latency in batch])


def clocked(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def run(api: Served, keys: KeyStore, smes: list[str], transfers: int, reads: int) -> list[Phase]:
    def client(name: str) -> ScfClient:
        return ScfClient(api.url, api_key=api.seeded.api_keys[name], wait="indexed")

    clients = [client(name) for name in smes]
    roots: list[int] = []
    with client("core") as core, ThreadPoolExecutor(8) as pool:
        documents = [  # what backs a receivable is uploaded first
            "0x" + core.upload_document(f"invoice {i}".encode(), "text/plain").sha256
            for i in range(len(smes))
        ]
        issued = pool.map(
            lambda i: core.issue(
                IssueIn(creditor=api.address(smes[i]), face_amount="10000.00", due_date=DUE,
                        document_hash=documents[i])
            ),
            range(len(smes)),
        )  # fmt: skip
        for op in issued:
            roots.append(int(event(op, "ReceivableIssued")["tokenId"]))
    for i, sme in enumerate(clients):
        sme.accept_receivable(sme.piece(roots[i]).slot)

    received: list[list[int]] = [[] for _ in smes]

    def transfer(i: int, sme: ScfClient) -> list[float]:
        to = api.address(smes[(i + 1) % len(smes)])
        latencies = []
        for _ in range(transfers):
            latency, op = clocked(lambda: sme.transfer(roots[i], TransferIn(to=to, value="200.00")))
            received[(i + 1) % len(smes)].append(int(event(op, "PieceSplit")["childTokenId"]))
            latencies.append(latency)
        return latencies

    def finance(i: int, sme: ScfClient) -> list[float]:
        terms = TermsIn(advance="5000.00", repayment="0", fees="0", fund_by=DUE - 86_400)
        ask = FinancingIn(token_id=roots[i], financiers=[api.address("bank")], terms=terms)
        latency, op = clocked(lambda: sme.request_financing(ask))
        event(op, "FinancingRequested")
        return [latency]

    w3 = connect(api.chain_url)
    chain_id = w3.eth.chain_id
    fees = FeePolicy(w3)
    token = api.seeded.contracts["ReceivableToken"]

    def raw(i: int, _sme: ScfClient) -> list[float]:
        signer = keys.signer(smes[i])
        nonce = int(w3.eth.get_transaction_count(signer.address, "pending"))
        to = api.address(smes[(i + 1) % len(smes)])
        sent = []
        for child in received[i]:
            call = ContractCall("ReceivableToken", token, "transferFrom", (child, to, 10_000))
            started = time.perf_counter()
            params: Any = {"from": signer.address, "to": token, "data": call.calldata()}
            gas = int(w3.eth.estimate_gas(params) * GAS_MARGIN)
            tx = {**params, "gas": gas, "nonce": nonce, "chainId": chain_id, "value": 0}
            tx.update(fees.fields())
            del tx["from"]
            sent.append(
                (started, w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction))
            )
            nonce += 1
        latencies = []
        for started, tx_hash in sent:
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.01)
            assert receipt["status"] == 1, receipt
            latencies.append(time.perf_counter() - started)
        return latencies

    def read(i: int, sme: ScfClient) -> list[float]:
        latencies = []
        for n in range(reads):
            if n % 2:
                latency, tree = clocked(lambda: sme.lineage(roots[i]))
                assert len(tree.tree.children) == transfers
            else:
                latency, page = clocked(lambda: sme.list_pieces(limit=50))
                assert page.items
            latencies.append(latency)
        return latencies

    def sign(i: int, sme: ScfClient) -> list[float]:
        for child in received[i]:  # 签收: a piece moves on only once its receiver signed
            sme.sign_piece(child)
        return []

    phases = []
    for name, work in (
        ("API transfer (SDK, wait=indexed)", transfer),
        ("", sign),  # set-up, not a phase
        ("API financing request (SDK, wait=indexed)", finance),
        ("raw web3 transferFrom (send -> receipt)", raw),
        ("API reads (list / lineage)", read),
    ):
        phase = timed(clients, work)
        if name:
            phases.append(Phase(name, phase.seconds, phase.latencies))
    for sme in clients:
        sme.close()
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smes", type=int, default=50, help="concurrent SME clients")
    parser.add_argument("--transfers", type=int, default=4, help="transfers per SME")
    parser.add_argument("--reads", type=int, default=20, help="reads per SME")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument(
        "--workers", type=int, default=1, help="serve with `scf serve --workers N` (N > 1)"
    )
    args = parser.parse_args()
    smes = [f"sme{i:02d}" for i in range(args.smes)]
    members: dict[str, int] = {
        "core": Role.CORE_ENTERPRISE,
        "bank": Role.FINANCIER,
        "auditor": Role.AUDITOR,
    }
    members |= {name: Role.SUPPLIER for name in smes}
    console = Console(width=110)
    with served("api", members, postgres=args.postgres, workers=args.workers) as (api, keys):
        phases = run(api, keys, smes, args.transfers, args.reads)
    db = "postgresql" if args.postgres else "sqlite"
    processes = f", {args.workers} worker processes" if args.workers > 1 else ""
    title = f"{args.smes} concurrent SME clients, anvil (automine), {db}{processes}"
    table = Table(title=title)
    for column in ("phase", "ops", "seconds", "ops/s", "p50 ms", "p99 ms", "mean ms"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for phase in phases:
        table.add_row(
            phase.name,
            str(len(phase.latencies)),
            f"{phase.seconds:.2f}",
            f"{phase.rate:.0f}",
            f"{phase.percentile(0.5) * 1000:.1f}",
            f"{phase.percentile(0.99) * 1000:.1f}",
            f"{statistics.fmean(phase.latencies) * 1000:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
