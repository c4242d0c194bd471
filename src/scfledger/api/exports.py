"""Tables as downloads: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese names)
and XLSX (openpyxl), with amounts exact (docs/money.md "Statements and reconciliation")."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fastapi.responses import Response
from openpyxl import Workbook

from scfledger.money import currency_exponent

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel holds numbers as IEEE doubles and shows 15 significant digits: an amount of at
# most 15 digits reads back as exactly itself; a longer one is written as text.
EXACT_DIGITS = 15

Cell = str | int | None


@dataclass(frozen=True)
class Money:
    """An amount cell: its decimal string and currency."""

    text: str
    currency: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Sheet:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell | Money]]


def _text(cell: Cell | Money) -> str:
    return "" if cell is None else str(cell)


def csv_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The sheets one after another, a blank line between them; amounts as their strings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, sheet in enumerate(sheets):
        if number:
            writer.writerow([])
        writer.writerow(sheet.header)
        writer.writerows([_text(c) for c in row] for row in sheet.rows)
    return out.getvalue().encode("utf-8-sig")


def _number_format(currency: str) -> str:
    try:
        digits = currency_exponent(currency)
    except Exception:  # a code the chain took but ISO 4217 does not know: integers
        digits = 0
    return "#,##0" + ("." + "0" * digits if digits else "")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """One worksheet per sheet. An amount of at most 15 significant digits is a number cell
    with its currency's format (what it reads back as is exactly the amount); a longer one
    is a text cell, so nothing is ever rounded."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title)
        ws.append(list(sheet.header))
        for row in sheet.rows:
            ws.append([_cell_value(c) for c in row])
            for column, cell in enumerate(row, start=1):
                if isinstance(cell, Money) and _exact(cell.text):
                    ws.cell(ws.max_row, column).number_format = _number_format(cell.currency)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _exact(text: str) -> bool:
    return len(text.replace(".", "").lstrip("0")) <= EXACT_DIGITS


def _cell_value(cell: Cell | Money) -> str | int | Decimal | None:
    if isinstance(cell, Money):
        return Decimal(cell.text) if _exact(cell.text) else cell.text
    return cell


def download(sheets: Sequence[Sheet], fmt: str, filename: str) -> Response:
    """The sheets as a `fmt` (csv, xlsx) attachment named `filename` + extension."""
    if fmt == "csv":
        body, media = csv_bytes(sheets), CSV
    else:
        body, media = xlsx_bytes(sheets), XLSX
    disposition = f'attachment; filename="{filename}.{fmt}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
