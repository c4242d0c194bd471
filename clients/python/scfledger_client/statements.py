"""Endpoints of statements and the reconciliation export: as models, or as the CSV or XLSX
file the gateway writes."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from scfledger_client.calls import Call, EndpointsBase, endpoint, model, query, raw_bytes
from scfledger_client.models import ReconciliationOut, StatementOut

FileFormat = Literal["csv", "xlsx"]


def _period(first: date | str, last: date | str, tz: str | None) -> dict[str, Any]:
    return query(**{"from": str(first), "to": str(last), "tz": tz})


class StatementsEndpoints(EndpointsBase):
    @endpoint
    def statement(
        self, first: date | str, last: date | str, *, tz: str | None = None
    ) -> Call[StatementOut]:
        """The caller's statement of the days `first` to `last` (in `tz`, by default
        Asia/Shanghai): lines and totals per kind and currency."""
        return Call("GET", "/v1/statements", model(StatementOut), _period(first, last, tz))

    @endpoint
    def statement_file(
        self,
        first: date | str,
        last: date | str,
        format: FileFormat = "xlsx",
        *,
        tz: str | None = None,
    ) -> Call[bytes]:
        """The statement as a CSV (UTF-8 with BOM) or XLSX file's bytes."""
        params = _period(first, last, tz) | {"format": format}
        return Call("GET", "/v1/statements", raw_bytes, params, raw=True)

    @endpoint
    def reconciliation(
        self, first: date | str, last: date | str, *, tz: str | None = None
    ) -> Call[ReconciliationOut]:
        """The period's payments the caller made or received, by payment reference."""
        params = _period(first, last, tz)
        return Call("GET", "/v1/reconciliation", model(ReconciliationOut), params)

    @endpoint
    def reconciliation_file(
        self,
        first: date | str,
        last: date | str,
        format: FileFormat = "xlsx",
        *,
        tz: str | None = None,
    ) -> Call[bytes]:
        """The reconciliation export as a CSV or XLSX file's bytes."""
        params = _period(first, last, tz) | {"format": format}
        return Call("GET", "/v1/reconciliation", raw_bytes, params, raw=True)
