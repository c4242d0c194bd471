"""What the contracts' numbers and zero values mean in the read model."""

from __future__ import annotations

from scfledger.chain.generated import Mode, PieceState

PIECE_STATES = PieceState.labels()  # index == the contract's value
MODES = Mode.labels()
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_HASH = "0x" + "00" * 32


def currency_text(code: bytes) -> str:
    """A `bytes3` currency code as text: the contract takes any non-zero bytes, so NULs (a
    shorter code, or garbage; PostgreSQL text cannot hold them) are dropped and what is
    not ASCII becomes U+FFFD."""
    return code.replace(b"\0", b"").decode("ascii", errors="replace")
