"""Amounts of money: exact integers in their currency's minor units, never floats.

The one description of an amount's unit, for every schema that carries one (the REST API's
bodies, the risk view)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MINOR_UNITS = "In the currency's minor units (e.g. fen for CNY, cents for USD), an integer"
MinorUnits = Annotated[int, Field(description=MINOR_UNITS)]
