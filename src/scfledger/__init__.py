"""scfledger: a consortium-blockchain ledger for supply-chain finance."""

import sys

# py_ecc (imported by eth-keyfile, so by web3 and eth-account) raises the interpreter's
# recursion limit to 100,000 when it is imported. With that limit a deep recursion (a JSON
# body of 100,000 nested arrays) overflows the C stack and kills the process instead of
# raising RecursionError. Every entry point imports this package first: import py_ecc here
# and put the limit back (Python's default if py_ecc was imported before us). What we use
# of py_ecc (secp256k1 public keys of keystores) recurses about 256 frames deep.
_PY_ECC_LIMIT = 100_000
_before = sys.getrecursionlimit()
import py_ecc  # noqa: E402, F401

sys.setrecursionlimit(_before if _before < _PY_ECC_LIMIT else 1000)
