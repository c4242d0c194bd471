"""Genesis and local permissioning files for a Hyperledger Besu QBFT consortium network.

Besu is not run here (it is on no reachable registry); these files follow Besu's
documented formats and the tests check what can be checked without it.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import rlp
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address

from scfledger.network.geth import REPO_ROOT, CliqueNetworkError

QBFT_TEMPLATE = REPO_ROOT / "chain-config" / "besu-qbft" / "genesis.template.json"
VANITY = bytes(32)
# Forks after the Merge: QBFT here stays on London rules (the artifacts target paris, whose
# opcodes London has); Shanghai would allow PUSH0, which geth Clique cannot run.
POST_LONDON_FORKS = ("shanghaiTime", "cancunTime", "pragueTime", "terminalTotalDifficulty")


class BesuConfigError(CliqueNetworkError):
    """A Besu QBFT genesis or permissions file could not be built."""


def qbft_extra_data(validators: Iterable[str]) -> str:
    """QBFT genesis extraData: RLP([32-byte vanity, [validators], no vote (empty list),
    round 0, no seals (empty list)]), as Besu's QbftExtraDataCodec encodes it.

    Validators are sorted by address so the same set always gives the same genesis.
    """
    addresses = sorted({_address(v) for v in validators}, key=str.lower)
    if not addresses:
        raise BesuConfigError("a QBFT network needs at least one validator")
    encoded: bytes = rlp.encode([VANITY, [bytes.fromhex(a[2:]) for a in addresses], [], 0, []])
    return "0x" + encoded.hex()


def decode_qbft_extra_data(extra_data: str) -> list[ChecksumAddress]:
    """The validator set of a QBFT extraData; raises if it is not genesis-shaped."""
    items = rlp.decode(bytes.fromhex(extra_data.removeprefix("0x")))
    if not isinstance(items, list) or len(items) != 5:
        raise BesuConfigError("QBFT extraData is an RLP list of 5 items")
    vanity, validators, vote, round_, seals = items
    if len(vanity) != 32 or vote != [] or rlp.sedes.big_endian_int.deserialize(round_) != 0:
        raise BesuConfigError("genesis extraData needs a 32-byte vanity, no vote and round 0")
    if seals != []:
        raise BesuConfigError("genesis extraData carries no seals")
    return [to_checksum_address(v) for v in validators]


def qbft_genesis(
    validators: Sequence[str],
    *,
    chain_id: int = 2026,
    block_period: int = 2,
    alloc: Mapping[str, int] | None = None,
    template: Path = QBFT_TEMPLATE,
) -> dict[str, Any]:
    """A Besu QBFT genesis (block-header validator selection) for these validators."""
    genesis: dict[str, Any] = copy.deepcopy(json.loads(template.read_text()))
    config = genesis["config"]
    forbidden = [fork for fork in POST_LONDON_FORKS if fork in config]
    if forbidden:
        raise BesuConfigError(f"{template}: forks after London are not used here: {forbidden}")
    if block_period < 1:
        raise BesuConfigError("QBFT block period is at least 1 second")
    config["chainId"] = chain_id
    config["qbft"]["blockperiodseconds"] = block_period
    genesis["timestamp"] = hex(int(time.time()))
    genesis["extraData"] = qbft_extra_data(validators)
    genesis["alloc"] = {
        _address(address)[2:].lower(): {"balance": hex(wei)}
        for address, wei in (alloc or {}).items()
    }
    return genesis


def permissions_config(*, enodes: Iterable[str], accounts: Iterable[str]) -> str:
    """permissions_config.toml: the nodes that may connect, the accounts that may transact."""
    nodes = list(enodes)
    for enode in nodes:
        if not enode.startswith("enode://") or "@" not in enode:
            raise BesuConfigError(f"not an enode URL: {enode!r}")
    allowed = sorted({_address(a) for a in accounts}, key=str.lower)
    return (
        "# Besu local permissioning: only these nodes connect, only these accounts transact.\n"
        f"nodes-allowlist={json.dumps(nodes)}\n"
        f"accounts-allowlist={json.dumps(allowed)}\n"
    )


def _address(value: str) -> ChecksumAddress:
    if not is_address(value):
        raise BesuConfigError(f"not an address: {value!r}")
    return to_checksum_address(value)
