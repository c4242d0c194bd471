"""`scf`: the command line of scfledger for admins and developers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from scfledger.chain.deploy_cli import deploy_command
from scfledger.cli.audit import audit_app
from scfledger.cli.batch_import import import_command
from scfledger.cli.dev import dev_app
from scfledger.cli.gateway import apikeys_app, serve, up
from scfledger.cli.setoff import setoff_app
from scfledger.cli.users import users_app
from scfledger.db.cli import db_app
from scfledger.indexer.cli import index_command, reconcile_command
from scfledger.keys.cli import keys_app
from scfledger.network.cli import chain_app
from scfledger.risk.cli import app as report_app

app = typer.Typer(help="scfledger: a consortium-blockchain ledger for supply-chain finance.")
app.add_typer(chain_app, name="chain")
app.add_typer(report_app, name="report")
app.add_typer(apikeys_app, name="apikeys")
app.add_typer(users_app, name="users")
app.add_typer(dev_app, name="dev")
app.command("up")(up)
app.command("serve")(serve)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(setoff_app, name="setoff")
app.command("deploy")(deploy_command)
app.command("index")(index_command)
app.command("reconcile")(reconcile_command)
app.command("import")(import_command)
console = Console()


@app.command()
def build(
    out_dir: Annotated[Path | None, typer.Option(help="Where to write artifacts.")] = None,
) -> None:
    """Compile contracts/ with the pinned solcjs into the package's artifacts."""
    from scfledger.chain.artifacts import ARTIFACTS_DIR
    from scfledger.chain.build import BuildError
    from scfledger.chain.build import build as run_build

    try:
        result = run_build(out_dir or ARTIFACTS_DIR)
    except BuildError as exc:
        console.print(f"[red]build failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"solc {result.compiler_version}, sources {result.source_hash[:16]}...")
    for name in result.contracts:
        console.print(f"  {name}")


@app.command()
def demo() -> None:
    """Run the demo story on an in-process chain and print the resulting lineage."""
    from scfledger.demo import cny, run_demo

    result = run_demo(log=lambda text: console.print(f"[green]>[/green] {text}"))
    table = Table(title=f"Slot {result.slot}: pieces of the receivable, by lineage")
    for column in ("piece", "parent", "tier", "holder at maturity", "paid (CNY)", "state"):
        table.add_column(column)
    for row in result.pieces:
        table.add_row(
            f"#{row.token_id}",
            f"#{row.parent}" if row.parent else "root",
            str(row.depth),
            row.holder,
            cny(row.paid),
            row.state,
        )
    console.print(table)
    total = sum(row.paid for row in result.pieces)
    console.print(
        f"paid to holders {cny(total)} == settled {cny(result.settled_amount)}"
        f" == face {cny(result.face_amount)}"
    )
    firms = ", ".join(result.netted)
    each = ", ".join(sorted({cny(amount) for amount in result.netted.values()}))
    console.print(f"set-off: {firms} each cleared {each} CNY of debt by consent, no cash moved")
