"""The gateway's settings, read once from the environment (`SCF_*`) and validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from scfledger.exceptions import ConfigurationError, InvalidPassphrase, UnknownCurrency
from scfledger.money import currency_exponent
from scfledger.pricing.calendars import Calendars, HolidayNotice

# Passphrases that ship in examples and tutorials: refused outside development.
PLACEHOLDER_SECRETS = frozenset({"changeme", "changethis", "password", "passphrase", "secret"})
MIN_PASSPHRASE_LENGTH = 12

FeeMode = Literal["auto", "zero", "legacy", "eip1559"]


class Settings(BaseSettings):
    """Everything the gateway reads from its environment.

    ``SCF_DATABASE_URL`` is a SQLAlchemy URL: a SQLite file by default, PostgreSQL as
    ``postgresql+psycopg://user@host:port/db``. The keystore passphrase comes from
    ``SCF_KEYSTORE_PASSPHRASE`` or from the file named by ``SCF_KEYSTORE_PASSPHRASE_FILE``.
    """

    model_config = SettingsConfigDict(env_prefix="SCF_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/gateway.sqlite3"

    chain_url: str = "http://127.0.0.1:8545"
    chain_timeout: float = Field(default=10.0, gt=0)
    chain_retries: int = Field(default=3, ge=0, le=20)
    chain_backoff: float = Field(default=0.2, ge=0)

    key_dir: Path = Path("var/keys")
    keystore_passphrase: SecretStr | None = None
    keystore_passphrase_file: Path | None = None
    # eth-account's default scrypt work factor; only tests lower it.
    keystore_scrypt_n: int = Field(default=2**18, ge=2**10)

    fee_mode: FeeMode = "auto"
    priority_fee_wei: int | None = Field(default=None, ge=0)
    gas_margin: float = Field(default=1.25, ge=1.0, le=5.0)
    tx_stuck_after: float = Field(default=30.0, gt=0)
    pipeline_poll_interval: float = Field(default=0.05, gt=0)

    # The deployment the gateway serves (a manifest written by `scf deploy` or `scf up`),
    # how many blocks deep its indexer reads (unset: as the chain's engine needs, asked of the
    # node: 0 on dev chains and BFT engines, N // 2 of N Clique sealers; see indexer/engine.py)
    # and how often it looks for new blocks.
    deployment_manifest: Path = Path("var/deployment.json")
    indexer_confirmations: int | None = Field(default=None, ge=0, le=1000)
    indexer_poll_interval: float = Field(default=0.05, gt=0)
    # Gas money for participants created over the API, on chains where sending costs
    # something: on a dev chain (anvil) their balance is set; else the keystore account
    # `gas_faucet` (funded by the operator) sends them `gas_grant_wei`; neither: nothing.
    dev_chain: bool = False
    gas_faucet: str | None = None
    gas_grant_wei: int = Field(default=10**21, ge=1)

    # Uploaded documents: a content-addressed store on disk, size limit in bytes.
    document_dir: Path = Path("var/documents")
    document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # What one participant's uploads may occupy in all (documents it uploaded, counted once).
    document_quota_bytes: int = Field(default=1024 * 1024 * 1024, ge=1)
    # Webhook deliveries: per-attempt timeout, attempts before giving up, first retry delay
    # (doubling each time) and how often the dispatcher looks for work.
    webhook_timeout: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=6, ge=1, le=20)
    webhook_backoff: float = Field(default=2.0, ge=0)
    webhook_poll_interval: float = Field(default=0.5, gt=0)
    # Webhook URLs must resolve to public addresses (no loopback, private, link-local or
    # cloud-metadata targets: server-side request forgery); a dev gateway may allow
    # loopback (this machine), never private networks, link-local or metadata addresses.
    webhook_allow_loopback: bool = False

    # Server-sent event streams one API key may hold open at once (per gateway process).
    sse_streams_per_key: int = Field(default=4, ge=1, le=1000)
    # `/metrics` answers only `Authorization: Bearer <this token>`; unset, it answers 401.
    metrics_token: SecretStr | None = Field(default=None, min_length=16)

    # People (docs/people.md): a browser session ends after this long without a request,
    # and in any case this long after sign-in; this many failed sign-ins in a row lock an
    # account for `login_lockout_minutes`.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)

    # The currencies the consortium accepts receivables in (ISO 4217, comma separated),
    # the first one the deposit token's (docs/money.md). A currency whose minor digits
    # differ from the deployment's value decimals is refused at issue all the same.
    currencies: Annotated[tuple[str, ...], NoDecode] = ("CNY",)
    # The State Council's holiday notice for the years after chinesecalendar's last (a JSON
    # file, pricing.calendars.HolidayNotice): read and checked at start.
    holiday_notice: Path | None = None

    @field_validator("currencies", mode="before")
    @classmethod
    def _currency_list(cls, value: object) -> object:
        codes = value.split(",") if isinstance(value, str) else value
        if not isinstance(codes, list | tuple):
            return value
        found = tuple(str(code).strip() for code in codes if str(code).strip())
        if not found:
            raise ValueError("SCF_CURRENCIES names no currency")
        for code in found:
            try:
                currency_exponent(code)
            except UnknownCurrency as exc:
                raise ValueError(f"SCF_CURRENCIES: {exc}") from None
        return found

    @field_validator("holiday_notice")
    @classmethod
    def _readable_notice(cls, value: Path | None) -> Path | None:
        if value is not None:
            Calendars(HolidayNotice.read(value))  # ValueError: what is wrong, and where
        return value

    @model_validator(mode="after")
    def _one_passphrase_source(self) -> Settings:
        if self.keystore_passphrase is not None and self.keystore_passphrase_file is not None:
            raise ValueError(
                "set SCF_KEYSTORE_PASSPHRASE or SCF_KEYSTORE_PASSPHRASE_FILE, not both"
            )
        return self

    def keystore_passphrase_value(self) -> str:
        """The keystore passphrase, checked: present, long enough, no placeholder in production.

        Raises InvalidPassphrase (whose message never contains the passphrase).
        """
        if self.keystore_passphrase is not None:
            passphrase = self.keystore_passphrase.get_secret_value()
        elif self.keystore_passphrase_file is not None:
            try:
                passphrase = self.keystore_passphrase_file.read_text().rstrip("\r\n")
            except OSError as exc:
                raise InvalidPassphrase(
                    f"cannot read passphrase file {self.keystore_passphrase_file}: {exc.strerror}"
                ) from None
        else:
            raise InvalidPassphrase(
                "no keystore passphrase: set SCF_KEYSTORE_PASSPHRASE "
                "or SCF_KEYSTORE_PASSPHRASE_FILE"
            )
        if len(passphrase) < MIN_PASSPHRASE_LENGTH:
            raise InvalidPassphrase(
                f"keystore passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters"
            )
        if self.environment != "development" and passphrase.lower() in PLACEHOLDER_SECRETS:
            raise InvalidPassphrase("keystore passphrase is a placeholder; set a real one")
        return passphrase


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, `overrides` (command-line options) taking precedence;
    invalid values raise ConfigurationError."""
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from None
