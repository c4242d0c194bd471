"""Every error scfledger raises, rooted at ScfError and grouped by domain."""

from __future__ import annotations

from typing import Any


class ScfError(Exception):
    """Root of all scfledger errors."""


class ChainError(ScfError):
    """The chain could not be reached or refused a request."""


class ContractRevert(ChainError):
    """A contract call or transaction reverted with a decoded error.

    ``name`` is the Solidity error name (``DuplicateDocument``), ``args`` its arguments by
    parameter name, ``contract`` the artifact that declares it.
    """

    def __init__(self, *, name: str, args: dict[str, Any], contract: str, data: bytes) -> None:
        self.name = name
        self.args_by_name = args
        self.contract = contract
        self.data = data
        shown = ", ".join(f"{key}={_show(value)}" for key, value in args.items())
        super().__init__(f"{contract}: {name}({shown})")

    @property
    def values(self) -> tuple[Any, ...]:
        """The error's arguments in declaration order."""
        return tuple(self.args_by_name.values())


class UnknownRevert(ChainError):
    """A revert whose data matches no error of our contracts."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        super().__init__(f"reverted with undecodable data 0x{data.hex()}")


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)
