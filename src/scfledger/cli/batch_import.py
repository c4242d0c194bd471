"""`scf import FILE`: posts an ERP batch (CSV or JSON) to a gateway and follows it to the end
with a progress bar, then prints the lines that did not go through."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()
# Line statuses that are final, and those that are not a success.
FINISHED = ("rejected", "mined", "indexed", "failed", "withdrawn")
REFUSED = ("rejected", "failed", "withdrawn")
PAGE = 500
ATTEMPTS = 3  # posts after a connection failure: the same key acts once


def kind_of(path: Path, text: str) -> str:
    """A CSV's kind from its header: `creditor` is an issue's column, `slot` a settlement's."""
    header = next(csv.reader(io.StringIO(text)), [])
    if "creditor" in header:
        return "receivable.issue"
    if "slot" in header:
        return "settlement"
    raise typer.BadParameter(f"{path}: cannot tell the kind from its header; pass --kind")


def _post(client: httpx.Client, request: dict[str, Any]) -> httpx.Response:
    for attempt in range(ATTEMPTS):
        try:
            return client.post("/v1/batches", **request)
        except httpx.TransportError:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def _follow(
    client: httpx.Client, batch: dict[str, Any], poll: float, timeout: float
) -> dict[str, Any]:
    """Reads the batch until every line is finished (or only drafts wait for checkers)."""
    deadline = time.monotonic() + timeout
    columns = (
        TextColumn("batch {task.fields[batch]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("import", total=batch["lines"], batch=batch["id"], counts="")
        while True:
            counts: dict[str, int] = batch["counts"]
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            progress.update(task, completed=sum(counts.get(s, 0) for s in FINISHED), counts=shown)
            moving = counts.get("queued", 0) + counts.get("submitted", 0)
            if batch["done"] or moving == 0 or time.monotonic() > deadline:
                return batch
            time.sleep(poll)
            response = client.get(f"/v1/batches/{batch['id']}", params={"limit": 1})
            response.raise_for_status()
            batch = response.json()


def _lines(client: httpx.Client, batch_id: int) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/v1/batches/{batch_id}", params=params)
        response.raise_for_status()
        lines += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return lines


def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON batch")],
    api_key: Annotated[
        str, typer.Option(envvar="SCF_API_KEY", help="A maker's API key", show_default=False)
    ],
    url: Annotated[str, typer.Option(envvar="SCF_GATEWAY_URL")] = "http://127.0.0.1:8000",
    kind: Annotated[
        str | None, typer.Option(help="receivable.issue or settlement (CSV: from its header)")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Idempotency key (default: from the file's SHA-256)")
    ] = None,
    all_or_none: Annotated[bool, typer.Option(help="Refuse the batch if any line is")] = False,
    follow: Annotated[bool, typer.Option(help="Follow the batch until it is done")] = True,
    poll: Annotated[float, typer.Option(help="Seconds between reads")] = 0.5,
    timeout: Annotated[float, typer.Option(help="Seconds to follow at most")] = 3600.0,
) -> None:
    """Post an ERP batch and follow it: exit 0 when every line went through, 1 when some
    did not (listed), 2 when the gateway refused the batch. The default idempotency key
    comes from the file's content, so importing the same file again acts once."""
    body = file.read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    idempotency = key or f"import-{digest[:48]}"
    headers = {"Idempotency-Key": idempotency}
    params: dict[str, Any] = {"all_or_none": all_or_none}
    if file.suffix.lower() == ".json":
        headers["Content-Type"] = "application/json"
        if kind is not None:
            params["kind"] = kind
    else:
        headers["Content-Type"] = "text/csv"
        params["kind"] = kind or kind_of(file, body.decode("utf-8-sig", errors="replace"))
    auth = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=url, headers=auth, timeout=120) as client:
        response = _post(client, {"content": body, "headers": headers, "params": params})
        if response.status_code != 202:
            problem = response.json() if response.content else {}
            console.print(f"[red]refused ({response.status_code}):[/red] {problem.get('detail')}")
            for line in problem.get("lines", []):
                console.print(f"  line {line['line']}: {_said(line['problem'])}")
            raise typer.Exit(2)
        batch = response.json()
        console.print(f"batch {batch['id']}: {batch['lines']} lines (key {idempotency})")
        if not follow:
            return
        batch = _follow(client, batch, poll, timeout)
        refused = [line for line in _lines(client, batch["id"]) if line["status"] in REFUSED]
    waiting = batch["counts"].get("draft", 0)
    if waiting:
        console.print(f"{waiting} lines wait for a checker (drafts)")
    for line in refused:
        console.print(f"line {line['line']}: {line['status']}: {_said(line['problem'])}")
    if refused:
        raise typer.Exit(1)
    if not batch["done"] and not waiting:
        console.print(
            "[yellow]not finished yet[/yellow]; follow it at /v1/batches/" + str(batch["id"])
        )
        raise typer.Exit(1)


def _said(problem: dict[str, Any] | None) -> str:
    if not problem:
        return "(no problem recorded)"
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
    return f"{slug}: {problem.get('detail', '')}"
