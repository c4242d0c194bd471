"""Decodes raw logs of our contracts, by address and topic, into JSON-ready events."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils.abi import event_abi_to_log_topic, function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from scfledger.chain.artifacts import load_artifact


@dataclass(frozen=True)
class DecodedEvent:
    """One event, its arguments JSON-ready: addresses checksummed, bytes as 0x-hex."""

    contract: str
    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int

    def place(self) -> dict[str, Any]:
        """Which event this is, as the feed's and the faults' tables name their columns."""
        return {
            "block_number": self.block_number,
            "block_hash": self.block_hash,
            "tx_hash": self.tx_hash,
            "log_index": self.log_index,
            "contract": self.contract,
            "name": self.name,
        }


@dataclass(frozen=True)
class _EventSpec:
    name: str
    indexed: list[tuple[str, str]]
    data: list[tuple[str, str]]
    params: list[dict[str, Any]]  # the ABI entries of `data`: struct fields by name
    static: bool  # every data field is one 32-byte word: decoded without eth_abi


def _is_word(kind: str) -> bool:
    return kind in ("address", "bool") or (
        kind.startswith(("uint", "int", "bytes")) and kind != "bytes"
    )


def _abi_type(param: dict[str, Any]) -> str:
    """The canonical type of an ABI parameter: a struct as `(t1,t2,...)`, arrays kept."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def _spec(item: dict[str, Any]) -> _EventSpec:
    inputs = [(p["name"], _abi_type(p), bool(p["indexed"])) for p in item["inputs"]]
    data = [(n, t) for n, t, i in inputs if not i]
    return _EventSpec(
        name=item["name"],
        indexed=[(n, t) for n, t, i in inputs if i],
        data=data,
        params=[p for p in item["inputs"] if not p["indexed"]],
        static=all(_is_word(t) for _, t in data),
    )


@lru_cache(maxsize=65_536)
def _checksum(address: bytes) -> str:
    """Members are few and recur in every event: checksum (a keccak) each address once."""
    return str(to_checksum_address(address))


def _word(kind: str, word: bytes) -> Any:
    """One ABI word of a static type, JSON-ready (the hot path of the indexer)."""
    if kind.startswith("uint"):
        return int.from_bytes(word, "big")
    if kind == "address":
        return _checksum(word[12:])
    if kind == "bool":
        return word[-1] == 1
    if kind.startswith("int"):
        return int.from_bytes(word, "big", signed=True)
    size = int(kind[5:])  # bytesN: left-aligned
    return "0x" + word[:size].hex()


def _json_param(param: dict[str, Any], value: Any) -> Any:
    """A decoded value of an ABI parameter, JSON-ready; a struct as an object of its fields
    by name (`{"advance": ..., "fundBy": ...}`), never by position."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_json_param(inner, v) for v in value]
    if kind == "tuple":
        return {
            c["name"]: _json_param(c, v) for c, v in zip(param["components"], value, strict=True)
        }
    return _json_value(kind, value)


def _json_value(kind: str, value: Any) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        inner = kind[:-2] if kind.endswith("[]") else kind
        return [_json_value(inner, v) for v in value]
    return value


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value
    return "0x" + bytes(value).hex()


class LogDecoder:
    """Knows the events of each deployed contract by its address."""

    def __init__(self, contracts: Mapping[str, str]) -> None:
        """`contracts`: contract (artifact) name -> deployed address."""
        self._by_address: dict[str, tuple[str, dict[bytes, _EventSpec]]] = {}
        for name, address in contracts.items():
            events = {
                event_abi_to_log_topic(item): _spec(item)  # type: ignore[arg-type]
                for item in load_artifact(name).abi
                if item["type"] == "event"
            }
            self._by_address[address.lower()] = (name, events)

    @property
    def addresses(self) -> list[ChecksumAddress]:
        return [to_checksum_address(a) for a in self._by_address]

    def decode(self, log: Mapping[str, Any]) -> DecodedEvent | None:
        """The decoded event, or None for a log that is not one of our contracts' events
        (another contract at a watched topic, a malformed log)."""
        known = self._by_address.get(str(log["address"]).lower())
        topics = [
            bytes(t) if not isinstance(t, str) else bytes.fromhex(t[2:]) for t in log["topics"]
        ]
        if known is None or not topics:
            return None
        contract, events = known
        spec = events.get(topics[0])
        if spec is None or len(topics) != 1 + len(spec.indexed):
            return None
        try:
            args: dict[str, Any] = {}
            for (name, kind), topic in zip(spec.indexed, topics[1:], strict=True):
                args[name] = _word(kind, topic) if _is_word(kind) else "0x" + topic.hex()
            data = log["data"]
            raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
            if spec.static:
                if len(raw) != 32 * len(spec.data):
                    return None
                for position, (name, kind) in enumerate(spec.data):
                    args[name] = _word(kind, raw[32 * position : 32 * position + 32])
            else:
                values = abi_decode([k for _, k in spec.data], raw)
                for param, value in zip(spec.params, values, strict=True):
                    args[param["name"]] = _json_param(param, value)
        except Exception:  # a log that claims our topic but does not decode: skip it
            return None
        return DecodedEvent(
            contract=contract,
            name=spec.name,
            args=args,
            block_number=_int(log["blockNumber"]),
            block_hash=_hex(log["blockHash"]),
            tx_hash=_hex(log["transactionHash"]),
            log_index=_int(log["logIndex"]),
        )


GOVERNED = ("ConsortiumRegistry", "ReceivableToken", "Financing", "DepositToken")


@lru_cache(maxsize=1)
def _functions() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """Every function of the contracts governance may call, by selector."""
    table: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    for name in GOVERNED:
        for item in load_artifact(name).abi:
            if item["type"] == "function":
                inputs = [dict(p) for p in item["inputs"]]
                signature = f"{item['name']}({','.join(_abi_type(p) for p in inputs)})"
                table[function_signature_to_4byte_selector(signature)] = (item["name"], inputs)
    return table


def decode_call(data: str | bytes) -> tuple[str, dict[str, Any]]:
    """The function name and JSON-ready arguments of a governed call's calldata;
    ``("unknown", {"data": ...})`` for calldata none of our contracts understands."""
    raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
    known = _functions().get(raw[:4])
    if known is not None:
        name, inputs = known
        with suppress(Exception):  # calldata that does not decode as the function's inputs
            values = abi_decode([_abi_type(p) for p in inputs], raw[4:])
            return name, {
                p["name"]: _json_param(p, value) for p, value in zip(inputs, values, strict=True)
            }
    return "unknown", {"data": "0x" + raw.hex()}
