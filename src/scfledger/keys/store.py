"""One encrypted keystore (Web3 Secret Storage v3, scrypt) per participant in a key directory."""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coincurve import PrivateKey
from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from scfledger.exceptions import InvalidPassphrase, KeyAlreadyExists, KeyNotFound, SigningError
from scfledger.keys.fast_sign import sign_fast
from scfledger.keys.sealing import Sealer, derive_key

PARTICIPANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
RETIRED_DIR = "retired"


def check_participant(name: str) -> str:
    """A participant name usable as a file name: lower-case letters, digits, `_ . -`."""
    if not PARTICIPANT_NAME.fullmatch(name):
        raise SigningError(
            f"invalid participant name {name!r}: 1-64 of a-z 0-9 _ . -, starting alphanumeric"
        )
    return name


class Signer:
    """Signs transactions for one participant. Its repr shows the address, never the key."""

    __slots__ = ("_account", "_key", "address", "participant")

    def __init__(self, participant: str, account: LocalAccount) -> None:
        self.participant = participant
        self.address: ChecksumAddress = account.address
        self._account = account
        self._key = PrivateKey(bytes(account.key))

    def sign_transaction(self, tx: dict[str, Any]) -> SignedTransaction:
        try:
            # The pipeline's shapes directly (keys.fast_sign: the same bytes, ~10x less CPU).
            signed = sign_fast(self._key, tx)
            return signed if signed is not None else self._account.sign_transaction(tx)
        except Exception as exc:  # messages of signing libraries are not ours to trust
            raise SigningError(
                f"cannot sign for {self.participant} ({self.address}): {type(exc).__name__}"
            ) from None

    def __repr__(self) -> str:
        return f"Signer({self.participant!r}, {self.address})"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # never pickled into a queue, a cache or a log record
        raise TypeError("Signer holds a private key and cannot be pickled")


@dataclass(frozen=True)
class KeyInfo:
    participant: str
    address: ChecksumAddress
    path: Path


class KeyStore:
    """Participant keystores in `directory` (`<participant>.json`, mode 0600), one passphrase.

    Decrypted keys are cached in memory for the life of the store: scrypt is deliberately
    slow (about a second per key at the default work factor).
    """

    def __init__(self, directory: Path, passphrase: str, *, scrypt_n: int = 2**18) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase
        self._scrypt_n = scrypt_n
        self._signers: dict[str, Signer] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r})"

    @classmethod
    def from_settings(cls, settings: Any) -> KeyStore:
        """The key directory of scfledger.config.Settings, passphrase validated now."""
        store = cls(
            settings.key_dir,
            settings.keystore_passphrase_value(),
            scrypt_n=settings.keystore_scrypt_n,
        )
        store.validate()
        return store

    def sealer(self, purpose: str) -> Sealer:
        """Seals secrets for `purpose` (e.g. "webhook-secrets") that the gateway stores,
        under a key derived from this store's passphrase (scrypt: call once, keep it)."""
        return Sealer(derive_key(self._passphrase, purpose))

    # -- reading ----------------------------------------------------------------------

    def path(self, participant: str) -> Path:
        return self.directory / f"{check_participant(participant)}.json"

    def list(self) -> list[KeyInfo]:
        """Every participant with a key, with its address (read without decrypting)."""
        if not self.directory.is_dir():
            return []
        infos = []
        for path in sorted(self.directory.glob("*.json")):
            if PARTICIPANT_NAME.fullmatch(path.stem):
                infos.append(KeyInfo(path.stem, self._address_of(path), path))
        return infos

    def address(self, participant: str) -> ChecksumAddress:
        path = self.path(participant)
        if not path.is_file():
            raise KeyNotFound(participant)
        return self._address_of(path)

    def signer(self, participant: str) -> Signer:
        """The participant's signer, decrypting its keystore on first use."""
        with self._lock:
            cached = self._signers.get(participant)
            if cached is not None:
                return cached
            path = self.path(participant)
            if not path.is_file():
                raise KeyNotFound(participant)
            signer = Signer(participant, self._decrypt(path))
            self._signers[participant] = signer
            return signer

    def validate(self) -> None:
        """Checks at start that the directory is usable and the passphrase opens a keystore."""
        if self.directory.exists() and not self.directory.is_dir():
            raise SigningError(f"key directory {self.directory} is not a directory")
        keys = self.list()
        if keys:
            self.signer(keys[0].participant)

    # -- writing ----------------------------------------------------------------------

    def new(self, participant: str) -> ChecksumAddress:
        """Creates a fresh random key for a participant that has none."""
        return self._store(participant, Account.create(), replace=False)

    def import_key(self, participant: str, private_key: str | bytes) -> ChecksumAddress:
        """Stores an existing private key (hex or 32 bytes) for a participant that has none."""
        try:
            account: LocalAccount = Account.from_key(private_key)
        except Exception:
            raise SigningError("not a valid secp256k1 private key") from None
        return self._store(participant, account, replace=False)

    def rotate(self, participant: str) -> tuple[ChecksumAddress, ChecksumAddress]:
        """Replaces a participant's key with a fresh one; the old keystore moves to retired/.

        Returns (old address, new address). The new address still has to be registered
        on chain (the registry knows members by address).
        """
        old_path = self.path(participant)
        if not old_path.is_file():
            raise KeyNotFound(participant)
        old_address = self._address_of(old_path)
        self._decrypt(old_path)  # refuse to retire a key this passphrase cannot open
        retired = self.directory / RETIRED_DIR
        retired.mkdir(mode=0o700, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        os.replace(old_path, retired / f"{participant}-{old_address}-{stamp}.json")
        with self._lock:
            self._signers.pop(participant, None)
        new_address = self._store(participant, Account.create(), replace=True)
        return old_address, new_address

    # -- internals --------------------------------------------------------------------

    def _store(self, participant: str, account: LocalAccount, *, replace: bool) -> ChecksumAddress:
        path = self.path(participant)
        if path.exists() and not replace:
            raise KeyAlreadyExists(participant, self._address_of(path))
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        keystore = Account.encrypt(
            account.key, self._passphrase, kdf="scrypt", iterations=self._scrypt_n
        )
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(keystore, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            if replace:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # fails if a concurrent writer got there first
                os.unlink(tmp)
        except FileExistsError:
            os.unlink(tmp)
            raise KeyAlreadyExists(participant, self._address_of(path)) from None
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        with self._lock:
            self._signers[participant] = Signer(participant, account)
        return account.address

    def _address_of(self, path: Path) -> ChecksumAddress:
        try:
            return to_checksum_address("0x" + json.loads(path.read_text())["address"])
        except (OSError, ValueError, KeyError, TypeError):
            raise SigningError(f"{path} is not a readable keystore") from None

    def _decrypt(self, path: Path) -> LocalAccount:
        try:
            keystore = json.loads(path.read_text())
        except (OSError, ValueError):
            raise SigningError(f"{path} is not a readable keystore") from None
        try:
            key = Account.decrypt(keystore, self._passphrase)
        except ValueError:
            raise InvalidPassphrase(f"the keystore passphrase does not open {path.name}") from None
        account: LocalAccount = Account.from_key(key)
        if (
            "address" in keystore
            and account.address.lower()[2:] != str(keystore["address"]).lower()
        ):
            raise SigningError(f"{path.name}: key does not match the keystore's address")
        return account
