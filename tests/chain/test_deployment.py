"""`scf deploy` on real nodes: anvil and a 3-node Clique network. Deploys once, records a
manifest, verifies on re-runs, and fails clearly when the chain no longer matches."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils.crypto import keccak
from typer.testing import CliRunner, Result
from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware

from scfledger.chain.artifacts import build_info, load_artifact
from scfledger.chain.deployment import (
    PASSPHRASE_ENV,
    DeploymentError,
    deploy,
    load_deployer,
    load_params,
)
from scfledger.cli import app
from scfledger.exceptions import ContractRevert
from scfledger.network.anvil import anvil_node
from tests.support.clique import clique_network

pytestmark = pytest.mark.integration

# anvil's first dev account: a published test key that only ever holds dev-chain ether.
DEV_KEY = HexStr("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
DEV_ADDRESS = ChecksumAddress(HexAddress(HexStr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")))
ADMINS = [Account.from_key(keccak(text=f"scf deploy admin {i}")).address for i in range(3)]


def write_params(directory: Path, name: str, threshold: int = 2) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    params = {
        "admins": [
            {"address": a, "name": f"Admin {i}", "legalId": f"9131000{i}MA1FL0000X",
             "identitySalt": "0x" + keccak(text=f"salt {i}").hex(),
             "kycHash": "0x" + keccak(text=f"kyc {i}").hex()}
            for i, a in enumerate(ADMINS[:2])
        ],
        "ledger": {"threshold": threshold, "max_depth": 16},
    }  # fmt: skip
    path = directory / f"{name}.params.json"
    path.write_text(json.dumps(params))
    return path


def write_key(path: Path, key: str) -> Path:
    path.write_text(key + "\n")
    path.chmod(0o600)
    return path


def scf_deploy(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["deploy", *args], env=env)


def flat(result: Result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def web3(url: str) -> Web3:
    w3 = Web3(HTTPProvider(url))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


@pytest.fixture(scope="module")
def anvil_url() -> Iterator[str]:
    with anvil_node() as url:
        yield url


def test_deploy_records_the_manifest_then_reruns_only_verify(
    anvil_url: str, tmp_path: Path
) -> None:
    deployments = tmp_path / "deployments"
    write_params(deployments, "acme")
    key = write_key(tmp_path / "deployer.key", DEV_KEY)
    args = ["--rpc", anvil_url, "--name", "acme", "--key-file", str(key),
            "--deployments-dir", str(deployments)]  # fmt: skip

    first = scf_deploy(*args)

    assert first.exit_code == 0, first.output
    assert DEV_KEY[2:] not in first.output
    manifest: dict[str, Any] = json.loads((deployments / "acme.json").read_text())
    w3 = web3(anvil_url)
    assert manifest["chainId"] == 31337
    assert manifest["deployer"] == DEV_ADDRESS
    assert manifest["artifacts"]["sourceHash"] == build_info()["sourceHash"]
    assert {"ConsortiumRegistry", "ReceivableToken", "Financing", "SetOff"} <= set(
        manifest["contracts"]
    )
    for entry in manifest["contracts"].values():
        assert entry["codeHash"] == "0x" + keccak(bytes(w3.eth.get_code(entry["address"]))).hex()
    registry = w3.eth.contract(
        address=manifest["contracts"]["ConsortiumRegistry"]["address"],
        abi=load_artifact("ConsortiumRegistry").abi,
    )
    assert registry.functions.threshold().call() == 2
    assert registry.functions.memberCount().call() == 2
    assert 0 < manifest["deploymentBlock"] <= w3.eth.block_number
    head, nonce = w3.eth.block_number, w3.eth.get_transaction_count(DEV_ADDRESS)

    again = scf_deploy(*args)

    assert again.exit_code == 0, again.output
    assert "verified" in flat(again)
    assert "nothing deployed" in flat(again)
    assert (w3.eth.block_number, w3.eth.get_transaction_count(DEV_ADDRESS)) == (head, nonce)

    token = manifest["contracts"]["ReceivableToken"]["address"]
    w3.provider.make_request("anvil_setCode", [token, "0x6000"])  # type: ignore[arg-type]

    tampered = scf_deploy(*args)

    assert tampered.exit_code == 1
    tampered_hash = "0x" + keccak(bytes.fromhex("6000")).hex()
    assert f"ReceivableToken at {token}: code hash {tampered_hash}" in flat(tampered)


def test_deploy_with_a_keystore_reads_the_passphrase_from_the_environment(
    anvil_url: str, tmp_path: Path
) -> None:
    deployments = tmp_path / "deployments"
    write_params(deployments, "ks")
    keystore = tmp_path / "deployer.json"
    keystore.write_text(json.dumps(Account.encrypt(DEV_KEY, "correct horse", iterations=2)))
    args = ["--rpc", anvil_url, "--name", "ks", "--keystore", str(keystore),
            "--deployments-dir", str(deployments)]  # fmt: skip

    wrong = scf_deploy(*args, env={PASSPHRASE_ENV: "wrong"})
    assert wrong.exit_code == 1
    assert f"cannot decrypt keystore {keystore}" in flat(wrong)
    assert not (deployments / "ks.json").exists()

    right = scf_deploy(*args, env={PASSPHRASE_ENV: "correct horse"})
    assert right.exit_code == 0, right.output
    assert json.loads((deployments / "ks.json").read_text())["deployer"] == DEV_ADDRESS
    assert DEV_KEY[2:] not in right.output


def test_deploy_below_the_governance_minimum_reverts_and_records_nothing(
    anvil_url: str, tmp_path: Path
) -> None:
    deployments = tmp_path / "deployments"
    params = load_params(write_params(deployments, "solo", threshold=3))

    with pytest.raises(ContractRevert) as exc_info:
        deploy(web3(anvil_url), name="solo", deployer=Account.from_key(DEV_KEY),
               params=params, directory=deployments)  # fmt: skip

    assert exc_info.value.name == "InvalidThreshold"
    assert exc_info.value.values == (3, 2)
    assert not (deployments / "solo.json").exists()


def test_key_files_readable_by_others_and_malformed_keys_are_refused(tmp_path: Path) -> None:
    shared = write_key(tmp_path / "shared.key", DEV_KEY)
    shared.chmod(0o644)
    with pytest.raises(DeploymentError, match="accessible to other users"):
        load_deployer(key_file=shared)
    broken = write_key(tmp_path / "broken.key", DEV_KEY[:-2])
    with pytest.raises(DeploymentError, match="does not hold one 32-byte hex private key") as e:
        load_deployer(key_file=broken)
    assert DEV_KEY[2:40] not in str(e.value)
    os.environ.pop(PASSPHRASE_ENV, None)
    with pytest.raises(DeploymentError, match=f"set {PASSPHRASE_ENV}"):
        load_deployer(keystore=tmp_path / "any.json")


def test_deploy_on_clique_verifies_from_another_members_node(tmp_path: Path) -> None:
    deployer = Account.from_key(keccak(text="scf deploy clique deployer"))
    deployments = tmp_path / "deployments"
    write_params(deployments, "consortium")
    key = write_key(tmp_path / "deployer.key", deployer.key.hex())
    # Three sealers: two can stall each other on competing branches under CPU load.
    with clique_network(tmp_path / "chain", nodes=3, alloc={deployer.address: 10**21}) as net:
        common = ["--name", "consortium", "--key-file", str(key),
                  "--deployments-dir", str(deployments)]  # fmt: skip

        first = scf_deploy("--rpc", net.rpc_url(0), *common)
        assert first.exit_code == 0, first.output
        manifest = json.loads((deployments / "consortium.json").read_text())
        assert manifest["chainId"] == net.chain_id
        assert "SetOff" in manifest["contracts"]  # verified below with the others
        net.wait_for_block(1, manifest["deploymentBlock"] + 6)

        again = scf_deploy("--rpc", net.rpc_url(1), *common)

    assert again.exit_code == 0, again.output
    assert "verified" in flat(again)


def test_verifying_against_another_chain_fails_clearly(anvil_url: str, tmp_path: Path) -> None:
    deployments = tmp_path / "deployments"
    deployments.mkdir()
    (deployments / "elsewhere.json").write_text(
        json.dumps({"chainId": 2026, "contracts": {}, "artifacts": {}})
    )

    result = scf_deploy("--rpc", anvil_url, "--name", "elsewhere",
                        "--deployments-dir", str(deployments))  # fmt: skip

    assert result.exit_code == 1
    assert "chain id is 31337, the manifest records 2026" in flat(result)


def test_p1_params_anchor_a_legal_id_only_salted(tmp_path: Path) -> None:
    """P1: a plain `legalId` goes on chain as sha256(identitySalt || legalId), never as an
    unsalted hash of the public identifier; without a salt the params are refused."""
    path = write_params(tmp_path, "salted")
    params = load_params(path)
    raw = json.loads(path.read_text())["admins"][0]
    unsalted = hashlib.sha256(raw["legalId"].encode()).digest()
    salted = hashlib.sha256(bytes.fromhex(raw["identitySalt"][2:]) + raw["legalId"].encode())
    assert params.admins[0].legal_id_hash == salted.digest() != unsalted

    without_salt = json.loads(path.read_text())
    del without_salt["admins"][0]["identitySalt"]
    path.write_text(json.dumps(without_salt))
    with pytest.raises(DeploymentError, match="identitySalt"):
        load_params(path)
