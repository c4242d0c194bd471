"""The Besu QBFT profile: what can be checked without Besu (not installable here)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from eth_utils.crypto import keccak
from typer.testing import CliRunner

from scfledger.network.besu import (
    QBFT_TEMPLATE,
    BesuConfigError,
    decode_qbft_extra_data,
    permissions_config,
    qbft_extra_data,
    qbft_genesis,
)
from scfledger.network.cli import chain_app

PROFILE = QBFT_TEMPLATE.parent
VALIDATORS = [Account.from_key(keccak(text=f"besu validator {i}")).address for i in range(4)]
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"


def test_extra_data_decodes_with_rlp_to_the_sorted_validator_set() -> None:
    extra = qbft_extra_data(reversed(VALIDATORS))

    vanity, validators, vote, round_, seals = rlp.decode(bytes.fromhex(extra[2:]))

    assert vanity == bytes(32)
    assert ["0x" + v.hex() for v in validators] == sorted(a.lower() for a in VALIDATORS)
    assert (vote, round_, seals) == ([], b"", [])
    assert decode_qbft_extra_data(extra) == sorted(VALIDATORS, key=str.lower)


def test_extra_data_of_one_validator_is_byte_for_byte_besus_layout() -> None:
    address = "0x8539c5c368dda69bc541299a5293836ca9e3a361"

    extra = qbft_extra_data([address])

    # list(59 bytes) [ 32 zero bytes, [address], [] no vote, 0x80 round 0, [] no seals ]
    assert extra == "0xf83aa0" + "00" * 32 + "d594" + address[2:] + "c080c0"


def test_genesis_has_every_required_field_london_rules_and_no_shanghai() -> None:
    genesis = qbft_genesis(VALIDATORS, chain_id=4242, block_period=3, alloc={VALIDATORS[0]: 5})

    assert {"config", "nonce", "timestamp", "extraData", "gasLimit", "difficulty", "mixHash",
            "coinbase", "alloc"} <= set(genesis)  # fmt: skip
    config = genesis["config"]
    assert config["chainId"] == 4242
    assert config["qbft"] == {"blockperiodseconds": 3, "epochlength": 30000,
                              "requesttimeoutseconds": 4}  # fmt: skip
    assert config["londonBlock"] == 0
    assert config["berlinBlock"] == 0
    assert config["zeroBaseFee"] is True
    assert not {"shanghaiTime", "cancunTime", "pragueTime", "terminalTotalDifficulty",
                "clique", "ibft2", "ethash"} & set(config)  # fmt: skip
    assert genesis["mixHash"] == BFT_MIX_HASH
    assert genesis["difficulty"] == "0x1"
    assert decode_qbft_extra_data(genesis["extraData"]) == sorted(VALIDATORS, key=str.lower)
    assert genesis["alloc"] == {VALIDATORS[0][2:].lower(): {"balance": "0x5"}}


def test_besu_genesis_command_writes_genesis_and_allowlists(tmp_path: Path) -> None:
    enode = "enode://" + "ab" * 64 + "@10.0.0.1:30303"

    result = CliRunner().invoke(
        chain_app,
        ["besu-genesis", "--validators", ",".join(VALIDATORS), "--out-dir", str(tmp_path),
         "--enode", enode, "--account", VALIDATORS[1]],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    genesis = json.loads((tmp_path / "genesis.json").read_text())
    assert decode_qbft_extra_data(genesis["extraData"]) == sorted(VALIDATORS, key=str.lower)
    permissions = tomllib.loads((tmp_path / "permissions_config.toml").read_text())
    assert permissions == {"nodes-allowlist": [enode], "accounts-allowlist": [VALIDATORS[1]]}


def test_besu_genesis_command_refuses_a_bad_validator(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        chain_app, ["besu-genesis", "--validators", "0x1234", "--out-dir", str(tmp_path)]
    )

    assert result.exit_code == 1
    assert "not an address: '0x1234'" in result.output
    assert not (tmp_path / "genesis.json").exists()


def test_permissions_refuse_something_that_is_not_an_enode() -> None:
    with pytest.raises(BesuConfigError, match="not an enode URL"):
        permissions_config(enodes=["10.0.0.1:30303"], accounts=[])


def test_shipped_node_config_enables_local_allowlists_and_free_gas() -> None:
    config = tomllib.loads((PROFILE / "config.toml").read_text())
    permissions = tomllib.loads((PROFILE / "permissions_config.toml").read_text())
    template = json.loads(QBFT_TEMPLATE.read_text())

    assert config["permissions-nodes-config-file-enabled"] is True
    assert config["permissions-accounts-config-file-enabled"] is True
    assert config["permissions-nodes-config-file"] == "permissions_config.toml"
    assert config["permissions-accounts-config-file"] == "permissions_config.toml"
    assert config["discovery-enabled"] is False
    assert "QBFT" in config["rpc-http-api"]
    assert config["min-gas-price"] == 0
    assert config["genesis-file"] == "genesis.json"
    # Fail closed: the shipped allowlists admit nobody until members fill them in.
    assert permissions == {"nodes-allowlist": [], "accounts-allowlist": []}
    assert json.loads((PROFILE / "static-nodes.json").read_text()) == []
    assert "qbft" in template["config"]
