"""Deploys the ledger once per named deployment and records it in a manifest; later runs
only verify the recorded runtime code against the chain.

Files, in a deployments directory (``chain-config/deployments/`` by default)::

    <name>.params.json   what to deploy: founding admins, threshold, token settings (input)
    <name>.json          what was deployed: chain id, addresses, deployment block,
                         deployer, keccak of each runtime code, artifact source hash (output)

The deployer's private key comes from a key file or an eth-account keystore whose
passphrase is in ``SCF_DEPLOYER_PASSPHRASE``; it is never printed, logged or recorded.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from scfledger.chain.artifacts import build_info
from scfledger.chain.deploy import DeployedLedger, InitialAdmin, LedgerParams, deploy_ledger
from scfledger.chain.identity import identity_anchor
from scfledger.exceptions import ChainError

PASSPHRASE_ENV = "SCF_DEPLOYER_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)
MANIFEST_VERSION = 1
# DeployedLedger field -> artifact name, for the manifest; a field not listed keeps its own name.
ARTIFACT_OF = {
    "registry": "ConsortiumRegistry",
    "token": "ReceivableToken",
    "financing": "Financing",
    "deposit_token": "DepositToken",
    "set_off": "SetOff",
}


class DeploymentError(ChainError):
    """A deployment could not be made, loaded or verified."""


@dataclass(frozen=True)
class DeploymentParams:
    admins: list[InitialAdmin]
    ledger: LedgerParams

    def to_json(self) -> dict[str, Any]:
        return {
            "admins": [
                {
                    "address": a.account,
                    "name": a.name,
                    "legalIdHash": "0x" + a.legal_id_hash.hex(),
                    "kycHash": "0x" + a.kyc_hash.hex(),
                }
                for a in self.admins
            ],
            "ledger": asdict(self.ledger),
        }


@dataclass(frozen=True)
class Verification:
    """Result of checking a manifest against the chain; ``ok`` when nothing differs."""

    manifest: dict[str, Any]
    problems: list[str]
    artifacts_changed: bool  # shipped artifacts differ from those deployed (a note, not a failure)

    @property
    def ok(self) -> bool:
        return not self.problems


def manifest_path(directory: Path, name: str) -> Path:
    _check_name(name)
    return directory / f"{name}.json"


def params_path(directory: Path, name: str) -> Path:
    _check_name(name)
    return directory / f"{name}.params.json"


def load_params(path: Path) -> DeploymentParams:
    """Reads a params file; ``legalId`` (the plain identifier, e.g. a unified social credit
    code) is anchored salted with the admin's ``identitySalt`` (32 bytes of hex, kept by the
    admin: chain/identity.py), or ``legalIdHash`` is taken as given."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise DeploymentError(f"no deployment parameters at {path}") from exc
    except (OSError, ValueError) as exc:
        raise DeploymentError(f"{path}: not readable JSON ({exc})") from exc
    try:
        admins = [_admin(entry) for entry in raw["admins"]]
        ledger = _ledger_params(raw.get("ledger", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise DeploymentError(f"{path}: invalid deployment parameters: {exc!r}") from exc
    if not admins:
        raise DeploymentError(f"{path}: at least one founding admin is needed")
    return DeploymentParams(admins=admins, ledger=ledger)


def _ledger_params(raw: dict[str, Any]) -> LedgerParams:
    """LedgerParams from its field names; omitted fields keep deploy.py's defaults."""
    known = {f.name for f in fields(LedgerParams)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown ledger parameters {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(LedgerParams(), key)
        if isinstance(value, str) and is_address(value):
            values[key] = to_checksum_address(value)
        elif isinstance(default, int) and not isinstance(value, int):
            raise ValueError(f"{key} must be an integer, not {value!r}")
        else:
            values[key] = value
    return LedgerParams(**values)


def _admin(entry: dict[str, Any]) -> InitialAdmin:
    address = entry["address"]
    if not is_address(address):
        raise ValueError(f"not an address: {address!r}")
    if "legalIdHash" in entry:
        legal_id_hash = _bytes32(entry["legalIdHash"], "legalIdHash")
    else:  # never an unsalted hash: a public identifier would be guessed back from it
        salt = _bytes32(entry["identitySalt"], "identitySalt")
        legal_id_hash = identity_anchor(salt, str(entry["legalId"]))
    return InitialAdmin(
        account=to_checksum_address(address),
        name=str(entry["name"]),
        legal_id_hash=legal_id_hash,
        kyc_hash=_bytes32(entry["kycHash"], "kycHash"),
    )


def _bytes32(value: object, field: str) -> bytes:
    raw = bytes.fromhex(str(value).removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"{field} must be 32 bytes of hex, not {len(raw)}")
    return raw


def load_deployer(*, key_file: Path | None = None, keystore: Path | None = None) -> LocalAccount:
    """The deployer's key from exactly one source. Error messages never quote the file's
    content: a malformed key file may still hold most of a key."""
    if (key_file is None) == (keystore is None):
        raise DeploymentError("give exactly one of a key file and a keystore")
    if key_file is not None:
        _refuse_shared(key_file)
        try:
            text = key_file.read_text().strip()
        except OSError as exc:
            raise DeploymentError(f"cannot read key file {key_file}: {exc.strerror}") from None
        try:
            key = bytes.fromhex(text.removeprefix("0x"))
            if len(key) != 32:
                raise ValueError
            account: LocalAccount = Account.from_key(key)
        except ValueError:
            raise DeploymentError(
                f"key file {key_file} does not hold one 32-byte hex private key"
            ) from None
        return account
    assert keystore is not None
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase is None:
        raise DeploymentError(f"set {PASSPHRASE_ENV} to the passphrase of keystore {keystore}")
    try:
        encrypted = json.loads(keystore.read_text())
    except (OSError, ValueError):
        raise DeploymentError(f"cannot read keystore {keystore} as JSON") from None
    try:
        key = Account.decrypt(encrypted, passphrase)
    except (ValueError, KeyError, TypeError):
        # eth-keyfile says "MAC mismatch" for a wrong passphrase.
        raise DeploymentError(
            f"cannot decrypt keystore {keystore}: wrong {PASSPHRASE_ENV} or not a keystore"
        ) from None
    decrypted: LocalAccount = Account.from_key(key)
    return decrypted


def _refuse_shared(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise DeploymentError(f"cannot read key file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DeploymentError(
            f"key file {path} is accessible to other users (mode {stat.S_IMODE(mode):o}): "
            f"chmod 600 it"
        )


def deploy(
    w3: Web3, *, name: str, deployer: LocalAccount, params: DeploymentParams, directory: Path
) -> dict[str, Any]:
    """Deploys registry and token and writes the manifest; refuses if one exists."""
    path = manifest_path(directory, name)
    if path.exists():
        raise DeploymentError(f"{path} exists: this deployment was made already")
    chain_id = w3.eth.chain_id
    ledger = deploy_ledger(w3, deployer=deployer, admins=params.admins, params=params.ledger)
    info = build_info()
    contracts = deployed_contracts(ledger)
    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "name": name,
        "chainId": chain_id,
        "deployer": deployer.address,
        "deploymentBlock": ledger.deployment_block,
        "deployedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "artifacts": {"compiler": info["compiler"], "sourceHash": info["sourceHash"]},
        "params": params.to_json(),
        "contracts": {
            contract: {"address": address, "codeHash": code_hash(w3, address)}
            for contract, address in contracts.items()
        },
    }
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(path)  # a manifest is either complete or absent
    return manifest


def deployed_contracts(ledger: DeployedLedger) -> dict[str, ChecksumAddress]:
    """Artifact name -> address of every contract the ledger deployment made."""
    found: dict[str, ChecksumAddress] = {}
    for field in fields(ledger):
        value = getattr(ledger, field.name)
        if isinstance(value, Contract):
            found[ARTIFACT_OF.get(field.name, field.name)] = value.address
    return found


def code_hash(w3: Web3, address: ChecksumAddress) -> str:
    """keccak-256 of the runtime code at address (what EXTCODEHASH returns)."""
    return "0x" + keccak(bytes(w3.eth.get_code(address))).hex()


def load_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DeploymentError(f"cannot read deployment manifest {path}: {exc}") from exc
    return manifest


def verify(w3: Web3, path: Path) -> Verification:
    """Compares a manifest with the chain behind w3: chain id and each contract's code."""
    manifest = load_manifest(path)
    problems: list[str] = []
    chain_id = w3.eth.chain_id
    if chain_id != manifest.get("chainId"):
        problems.append(f"chain id is {chain_id}, the manifest records {manifest.get('chainId')}")
    else:
        for contract, entry in manifest.get("contracts", {}).items():
            address = to_checksum_address(entry["address"])
            found = code_hash(w3, address)
            if found != entry["codeHash"]:
                what = "no code" if not w3.eth.get_code(address) else f"code hash {found}"
                problems.append(
                    f"{contract} at {address}: {what}, the manifest records {entry['codeHash']}"
                )
    shipped = build_info()["sourceHash"]
    return Verification(
        manifest=manifest,
        problems=problems,
        artifacts_changed=manifest.get("artifacts", {}).get("sourceHash") != shipped,
    )


def _check_name(name: str) -> None:
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise DeploymentError(f"a deployment name is letters, digits, - and _: not {name!r}")
