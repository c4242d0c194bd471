"""Deploys the ledger contracts (registry, receivable token) from the shipped artifacts."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from scfledger.chain.artifacts import load_artifact
from scfledger.chain.tx import Sender, send

DAY = 86_400


@dataclass(frozen=True)
class InitialAdmin:
    account: ChecksumAddress
    name: str
    legal_id_hash: bytes
    kyc_hash: bytes


@dataclass(frozen=True)
class LedgerParams:
    """Deployment parameters; the governed ones change later only by proposal."""

    threshold: int = 2
    proposal_lifetime: int = 7 * DAY
    token_name: str = "SCF Receivable"  # noqa: S105 (a token, not a credential)
    token_symbol: str = "SCFR"  # noqa: S105
    value_decimals: int = 2
    max_depth: int = 32
    # 100.00 in a currency of two decimals: one face amount cannot become millions of
    # pieces for the debtor to settle. Governed (setMinPieceValue).
    min_piece_value: int = 10_000
    grace_period: int = 3 * DAY
    default_period: int = 30 * DAY
    request_ttl: int = 7 * DAY
    # Delivery versus payment: the financier member that issues the deposit token, or None
    # for a deployment whose payments happen off-chain (recorded by reference).
    deposit_issuer: ChecksumAddress | None = None
    deposit_name: str = "SCF Deposit"
    deposit_symbol: str = "SCFD"


@dataclass(frozen=True)
class DeployedLedger:
    registry: Contract
    token: Contract
    financing: Contract
    deposit_token: Contract | None
    deployment_block: int
    set_off: Contract


def contract_at(w3: Web3, name: str, address: ChecksumAddress) -> Contract:
    """A binding of a shipped contract at an address."""
    return w3.eth.contract(address=address, abi=load_artifact(name).abi)


def deploy_contract(w3: Web3, name: str, deployer: Sender, *args: object) -> Contract:
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = send(w3, factory.constructor(*args), deployer)
    address = receipt["contractAddress"]
    assert address is not None  # a successful creation receipt always has one
    return contract_at(w3, name, address)


def deploy_ledger(
    w3: Web3, *, deployer: Sender, admins: list[InitialAdmin], params: LedgerParams | None = None
) -> DeployedLedger:
    """Deploys the registry with its founding admins, the token, the financing and set-off
    contracts and, for delivery versus payment, the deposit token; then binds them."""
    params = params or LedgerParams()
    first_block = w3.eth.block_number + 1
    registry = deploy_contract(
        w3,
        "ConsortiumRegistry",
        deployer,
        [(a.account, a.name, a.legal_id_hash, a.kyc_hash) for a in admins],
        params.threshold,
        params.proposal_lifetime,
    )
    token = deploy_contract(
        w3,
        "ReceivableToken",
        deployer,
        registry.address,
        params.token_name,
        params.token_symbol,
        params.value_decimals,
        params.max_depth,
        params.min_piece_value,
        params.grace_period,
        params.default_period,
    )
    financing = deploy_contract(
        w3, "Financing", deployer, registry.address, token.address, params.request_ttl
    )
    set_off = deploy_contract(w3, "SetOff", deployer, registry.address, token.address)
    deposit_token = None
    if params.deposit_issuer is not None:
        deposit_token = deploy_contract(
            w3,
            "DepositToken",
            deployer,
            registry.address,
            params.deposit_issuer,
            token.address,
            params.deposit_name,
            params.deposit_symbol,
            params.value_decimals,
        )
    zero = "0x" + "00" * 20
    send(
        w3,
        token.functions.bindModules(
            financing.address,
            deposit_token.address if deposit_token is not None else zero,
            set_off.address,
        ),
        deployer,
    )
    return DeployedLedger(
        registry=registry,
        token=token,
        financing=financing,
        deposit_token=deposit_token,
        deployment_block=first_block,
        set_off=set_off,
    )
