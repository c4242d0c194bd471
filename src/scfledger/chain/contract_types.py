"""The shapes `chain/generated.py` is made of, and struct results decoded by field name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any, NamedTuple, TypeVar, cast, get_type_hints

R = TypeVar("R", bound=NamedTuple)
E = TypeVar("E", bound="ContractEnum")


def snake(name: str) -> str:
    """`AwaitingConfirmation` / `tokenId` -> `awaiting_confirmation` / `token_id`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class ContractEnum(IntEnum):
    """A Solidity enum; `label` is the name the read model and the API use."""

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def labels(cls) -> tuple[str, ...]:
        """Every label, in the contract's order (index == value)."""
        return tuple(member.label for member in cls)

    @classmethod
    def of_label(cls: type[E], label: str) -> E:
        return cls[label.upper()]


@dataclass(frozen=True)
class ContractError:
    """A custom error of the shipped contracts: its 4-byte selector, parameters (name, ABI
    type) and the contracts whose ABI declares it, by name."""

    name: str
    selector: str
    params: tuple[tuple[str, str], ...]
    contracts: tuple[str, ...]

    @property
    def selector_bytes(self) -> bytes:
        return bytes.fromhex(self.selector[2:])


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return get_type_hints(cls)


def _convert(hint: Any, value: Any) -> Any:
    if isinstance(hint, type):
        if issubclass(hint, tuple) and hasattr(hint, "_fields"):
            return record(cast(Any, hint), value)
        if issubclass(hint, IntEnum):
            return hint(value)
    origin = getattr(hint, "__origin__", None)
    if origin is list:
        (item,) = hint.__args__
        return [_convert(item, v) for v in value]
    return value


def record(cls: type[R], value: Any) -> R:
    """A struct returned by a contract call (web3 gives a tuple in ABI order) as the
    generated NamedTuple `cls`, nested structs and enums included: read fields by name."""
    hints = _hints(cls)
    fields = cls._fields
    if len(value) != len(fields):
        raise ValueError(f"{cls.__name__} has {len(fields)} fields, the value {len(value)}")
    return cls(*(_convert(hints[name], v) for name, v in zip(fields, value, strict=True)))
