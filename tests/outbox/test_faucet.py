"""The gas faucet on a real anvil chain: exact grants, two gateways sharing one faucet
account, and a failed grant that leaves no half-made participant behind."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address
from sqlalchemy import func, select
from web3.types import RPCEndpoint

from scfledger.chain.generated import Role
from scfledger.db.apikeys import ApiKey
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import GasFaucetFailed
from scfledger.keys.store import KeyStore
from scfledger.outbox.faucet import GasFaucet
from scfledger.services.ledger import Actor
from scfledger.services.participants import create_participant
from tests.support.anvil import AnvilNode

pytestmark = pytest.mark.integration

GRANT = 10**15
ADMIN_ACTOR = Actor(
    participant="admin1", address="0x" + "11" * 20, roles=Role.ADMIN, status="active"
)


def _keys(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys", "faucet test passphrase", scrypt_n=2**10)


def test_two_faucets_on_one_account_grant_each_address_once(
    anvil: AnvilNode, tmp_path: Path
) -> None:
    keys = _keys(tmp_path)
    faucet_address = keys.new("gas-faucet")
    anvil.web3().provider.make_request(
        RPCEndpoint("anvil_setBalance"), [faucet_address, hex(10**21)]
    )
    # Two gateway processes' faucets: own connections, one account, racing for its nonce.
    faucets = [GasFaucet(anvil.web3(), keys.signer("gas-faucet"), GRANT) for _ in range(2)]
    recipients = [Account.create().address for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: faucets[i % 2](recipients[i]), range(len(recipients))))

    w3 = anvil.web3()
    assert [w3.eth.get_balance(r) for r in recipients] == [GRANT] * len(recipients)
    assert w3.eth.get_transaction_count(faucet_address) == len(recipients)  # none doubled


def test_a_failed_grant_refuses_the_participant_and_keeps_the_name_free(
    anvil: AnvilNode, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    upgrade(database)
    sessions = session_factory(create_db_engine(database))
    keys = _keys(tmp_path)
    keys.new("gas-faucet")  # never funded
    empty = GasFaucet(anvil.web3(), keys.signer("gas-faucet"), GRANT)

    def create(provision: GasFaucet) -> str:
        issued = create_participant(
            sessions=sessions, keys=keys, provision=provision, actor=ADMIN_ACTOR,
            name="supplier9", address=None,
        )  # fmt: skip
        return issued.address

    with pytest.raises(
        GasFaucetFailed,
        match=r"^gas faucet transfer refused: Insufficient funds for gas \* price \+ value$",
    ):
        create(empty)
    assert not keys.path("supplier9").exists()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0

    set_balance = RPCEndpoint("anvil_setBalance")
    anvil.web3().provider.make_request(set_balance, [keys.address("gas-faucet"), hex(10**21)])
    address = to_checksum_address(create(empty))  # the same faucet, funded now: the name was free
    assert anvil.web3().eth.get_balance(address) == GRANT
    assert keys.address("supplier9") == address
