"""`scf setoff plan|propose|consent|refuse|execute`: set-off through a gateway's API, as a
participant (its API key), for operators and scripts (docs/setoff.md)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

setoff_app = typer.Typer(help="Set-off (三角债清理): plan, propose and answer rounds.")
console = Console()
DAY = 86_400

ApiKey = Annotated[
    str, typer.Option(envvar="SCF_API_KEY", help="The participant's API key", show_default=False)
]
Url = Annotated[str, typer.Option(envvar="SCF_GATEWAY_URL")]
DEFAULT_URL = "http://127.0.0.1:8000"
RoundId = Annotated[int, typer.Argument(help="The round's id")]


def _client(url: str, api_key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=90)


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The body of a success; a problem is printed and exits 1."""
    body: dict[str, Any] = response.json() if response.content else {}
    if response.is_error:
        slug = str(body.get("type", "")).rsplit("/", 1)[-1]
        console.print(f"[red]refused ({response.status_code} {slug}):[/red] {body.get('detail')}")
        raise typer.Exit(1)
    return body


def _write(url: str, api_key: str, path: str, body: Any = None) -> None:
    """POSTs a write (a new idempotency key), waits until indexed, prints what became of it."""
    headers = {"Idempotency-Key": f"scf-setoff-{uuid.uuid4()}"}
    with _client(url, api_key) as client:
        response = client.post(path, json=body, headers=headers, params={"wait": "indexed"})
    done = _answer(response)
    if done.get("object") == "draft":
        console.print(f"draft {done['id']}: waits for a checker (/v1/drafts/{done['id']})")
        return
    console.print(f"operation {done['id']}: {done['status']}")
    for event in done.get("events", []):
        console.print(f"  {event['name']} {event['args']}")


@setoff_app.command("plan")
def plan(api_key: ApiKey, currency: str = "CNY", url: Url = DEFAULT_URL) -> None:
    """Print the plan of CURRENCY: its rounds (yours, with your items) and positions."""
    with _client(url, api_key) as client:
        found = _answer(client.get("/v1/setoff/plan", params={"currency": currency}))
    for r in found["rounds"]:
        table = Table(title=f"round {r['number']}: {r['item_count']} items, {r['total']}")
        for column in ("piece", "debtor", "creditor", f"clears ({currency})"):
            table.add_column(column)
        for item in r["items"]:
            table.add_row(str(item["piece"]), item["debtor"], item["creditor"], item["amount"])
        console.print(table)
    positions = Table(title=f"positions ({currency}): before -> after")
    for column in ("member", "payable", "receivable", "net"):
        positions.add_column(column)
    for p in found["positions"]:
        positions.add_row(
            p["member"],
            f"{p['payable_before']} -> {p['payable_after']}",
            f"{p['receivable_before']} -> {p['receivable_after']}",
            p["net"],
        )
    console.print(positions)
    if not found["rounds"]:
        console.print("nothing to clear")


@setoff_app.command("propose")
def propose(
    api_key: ApiKey,
    plan_round: Annotated[int, typer.Option(help="The plan's round number")],
    currency: str = "CNY",
    days: Annotated[int, typer.Option(help="Days of chain time for every party's answer")] = 7,
    url: Url = DEFAULT_URL,
) -> None:
    """Propose the plan's round PLAN_ROUND, answerable for DAYS of chain time."""
    with _client(url, api_key) as client:
        now = int(_answer(client.get("/v1/chain/time"))["block_timestamp"])
    body = {"plan_round": plan_round, "currency": currency, "deadline": now + days * DAY}
    _write(url, api_key, "/v1/setoff/rounds", body)


@setoff_app.command("consent")
def consent(round_id: RoundId, api_key: ApiKey, url: Url = DEFAULT_URL) -> None:
    """Consent to a round you are party to (a draft for a checker, by default)."""
    _write(url, api_key, f"/v1/setoff/rounds/{round_id}/consent")


@setoff_app.command("refuse")
def refuse(
    round_id: RoundId,
    api_key: ApiKey,
    reason: Annotated[str, typer.Option(help="Why (recorded on chain as its SHA-256)")],
    url: Url = DEFAULT_URL,
) -> None:
    """Refuse a round you are party to: it can no longer execute."""
    _write(url, api_key, f"/v1/setoff/rounds/{round_id}/refuse", {"reason": reason})


@setoff_app.command("execute")
def execute(round_id: RoundId, api_key: ApiKey, url: Url = DEFAULT_URL) -> None:
    """Execute a round every party consented to."""
    _write(url, api_key, f"/v1/setoff/rounds/{round_id}/execute")
