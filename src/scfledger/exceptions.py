"""Every error scfledger raises, rooted at ScfError and grouped by domain."""

# Over 500 lines by design: one exceptions module for every domain (CONVENTIONS.md 7).

from __future__ import annotations

from typing import Any


class ScfError(Exception):
    """Root of all scfledger errors."""


class ChainError(ScfError):
    """The chain could not be reached or refused a request."""


class ContractRevert(ChainError):
    """A contract call or transaction reverted with a decoded error.

    ``name`` is the Solidity error name (``DuplicateDocument``), ``args`` its arguments by
    parameter name, ``contract`` the artifact that declares it.
    """

    def __init__(self, *, name: str, args: dict[str, Any], contract: str, data: bytes) -> None:
        self.name = name
        self.args_by_name = args
        self.contract = contract
        self.data = data
        shown = ", ".join(f"{key}={_show(value)}" for key, value in args.items())
        super().__init__(f"{contract}: {name}({shown})")

    @property
    def values(self) -> tuple[Any, ...]:
        """The error's arguments in declaration order."""
        return tuple(self.args_by_name.values())


class UnknownRevert(ChainError):
    """A revert whose data matches no error of our contracts."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        super().__init__(f"reverted with undecodable data 0x{data.hex()}")


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


class GasFaucetFailed(ChainError):
    """The gateway's gas faucet could not give a new account its gas money."""


class ChainUnavailable(ChainError):
    """The node did not answer (connection refused, timeout) after bounded retries."""

    def __init__(self, *, endpoint: str, attempts: int, reason: str) -> None:
        self.endpoint = endpoint
        self.attempts = attempts
        self.reason = reason
        super().__init__(f"chain node {endpoint} unreachable after {attempts} attempt(s): {reason}")


class DevChainError(ChainError):
    """A dev chain refused a development-only call (`scf dev advance-time`)."""


class TransactionRejected(ChainError):
    """The node refused a signed transaction outright (it never entered a block)."""

    def __init__(self, *, tx_hash: str, reason: str) -> None:
        self.tx_hash = tx_hash
        self.reason = reason
        super().__init__(f"node rejected transaction {tx_hash}: {reason}")


class SigningError(ScfError):
    """A participant key could not be created, read or used. Never carries key material."""


class KeyNotFound(SigningError):
    """No keystore exists for a participant."""

    def __init__(self, participant: str) -> None:
        self.participant = participant
        super().__init__(f"no key for participant {participant!r}")


class KeyAlreadyExists(SigningError):
    """A keystore already exists for a participant (use rotate to replace it)."""

    def __init__(self, participant: str, address: str) -> None:
        self.participant = participant
        self.address = address
        super().__init__(f"participant {participant!r} already has key {address}")


class InvalidPassphrase(SigningError):
    """The keystore passphrase is missing, too weak, or does not open the keystores."""


class PermissionDenied(ScfError):
    """The caller may not perform this action."""


class RelayRejected(PermissionDenied):
    """A raw signed transaction handed to the relay is not the participant's to send."""

    def __init__(self, *, participant: str, reason: str) -> None:
        self.participant = participant
        self.reason = reason
        super().__init__(f"relay refused for {participant!r}: {reason}")


class ForeignParticipant(PermissionDenied):
    """A participant's own business (its API keys, its status) asked for by another one,
    consortium admins included: no one acts as another participant."""

    def __init__(self, *, actor: str, participant: str, action: str) -> None:
        self.actor = actor
        self.participant = participant
        self.action = action
        super().__init__(f"{actor} may not {action} of {participant!r}: only {participant!r} may")


class TooManyStreams(ScfError):
    """An API key already holds as many open event streams as the gateway allows."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"at most {limit} event streams may be open per API key; close one and retry"
        )


class NotFoundError(ScfError):
    """A requested record does not exist."""


class OperationNotFound(NotFoundError):
    def __init__(self, operation_id: str) -> None:
        self.operation_id = operation_id
        super().__init__(f"no operation {operation_id}")


class InvalidState(ScfError):
    """A request conflicts with the current state of a record."""


class IdempotencyConflict(InvalidState):
    """An idempotency key was reused for a different request."""

    def __init__(self, *, participant: str, key: str, operation_id: str) -> None:
        self.participant = participant
        self.key = key
        self.operation_id = operation_id
        super().__init__(
            f"idempotency key {key!r} of {participant!r} was used for a different request "
            f"(operation {operation_id})"
        )


class ParticipantExists(InvalidState):
    """A gateway participant of that name (or with that address) already exists."""

    def __init__(self, participant: str) -> None:
        self.participant = participant
        super().__init__(f"participant {participant!r} already exists")


class ConfigurationError(ScfError):
    """Settings are missing or invalid; raised at start, before anything runs."""


class DatabaseError(ScfError):
    """The gateway database is unusable."""


class DatabaseNotMigrated(DatabaseError):
    """The database schema is not at the latest migration: run `scf db upgrade`."""

    def __init__(self, *, current: str | None, head: str) -> None:
        self.current = current
        self.head = head
        super().__init__(
            f"database schema is at {current or 'nothing'}, expected {head}: run `scf db upgrade`"
        )


class RecordNotFound(NotFoundError):
    """A member, piece, receivable or financing request that is unknown (or not visible)."""

    def __init__(self, *, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key}")


class AuthenticationRequired(ScfError):
    """The request carries no valid API key."""


class ActionForbidden(PermissionDenied):
    """The authenticated participant may not perform this action on this record."""

    def __init__(self, *, actor: str, action: str, reason: str) -> None:
        self.actor = actor
        self.action = action
        self.reason = reason
        super().__init__(f"{actor} may not {action}: {reason}")


class WrongState(InvalidState):
    """A record is not in a state that allows the requested action."""

    def __init__(self, *, kind: str, key: object, state: str, action: str) -> None:
        self.kind = kind
        self.key = key
        self.state = state
        self.action = action
        super().__init__(f"cannot {action}: {kind} {key} is {state}")


class InvalidInput(ScfError):
    """A request is well-formed but its values are unacceptable (checked before any write)."""


class MissingIdempotencyKey(InvalidInput):
    """A write request came without an `Idempotency-Key` header."""

    def __init__(self) -> None:
        super().__init__("writes need an Idempotency-Key header (1-128 printable characters)")


class BodyTooLarge(InvalidInput):
    """A request body exceeds the API's size limit (refused before it is parsed)."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request bodies may be at most {limit} bytes")


class BodyTooDeep(InvalidInput):
    """A request body nests arrays and objects deeper than the API accepts (refused
    before it is parsed)."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request bodies may nest arrays and objects at most {limit} deep")


class UnsupportedMediaType(InvalidInput):
    """A request body in another media type than the route reads (JSON bodies are
    `application/json`)."""

    def __init__(self, *, content_type: str | None, expected: str) -> None:
        self.content_type = content_type
        shown = content_type or "(none)"
        super().__init__(f"content type {shown!r} is not accepted; send {expected}")


class InvalidCursor(InvalidInput):
    """A page cursor or feed position that is not a non-negative 64-bit integer."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"invalid cursor {value[:40]!r}: pass a `next_cursor` (ASCII digits, at most 2**63 - 1)"
        )


class DocumentTooLarge(InvalidInput):
    """An uploaded document exceeds the gateway's size limit (refused before it is stored)."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        super().__init__(f"documents may be at most {limit} bytes")


class DocumentNotUploaded(InvalidInput):
    """A receivable or evidence names a document its participant did not upload here."""

    def __init__(self, *, sha256: str) -> None:
        self.sha256 = sha256
        super().__init__(
            f"upload the document first (POST /v1/documents): you have uploaded none with "
            f"SHA-256 {sha256}"
        )


class UnsupportedDocumentType(InvalidInput):
    """An uploaded document's content type is not on the allowlist (or the body is no form)."""

    def __init__(self, *, content_type: str, allowed: list[str]) -> None:
        self.content_type = content_type
        self.allowed = allowed
        super().__init__(
            f"content type {content_type or '(none)'!r} is not accepted; send one of "
            + ", ".join(allowed)
        )


class StorageQuotaExceeded(InvalidInput):
    """An upload would take a participant's stored documents past its storage quota."""

    def __init__(self, *, quota: int, used: int) -> None:
        self.quota = quota
        self.used = used
        super().__init__(
            f"document storage quota of {quota} bytes reached ({used} bytes used): "
            "this upload does not fit"
        )


# People (docs/people.md): sign-in, sessions, roles and scopes inside an institution,
# maker-checker drafts.


class InvalidCredentials(AuthenticationRequired):
    """Unknown user, wrong password or wrong second-factor code (never said which)."""

    def __init__(self) -> None:
        super().__init__("unknown user, wrong password or wrong code")


class SecondFactorRequired(AuthenticationRequired):
    """The password was right but the person must also give a current TOTP code."""

    def __init__(self) -> None:
        super().__init__("this account needs a one-time code from its authenticator app")


class SessionExpired(AuthenticationRequired):
    """A session cookie that is unknown, revoked, idle too long or past its absolute end."""

    def __init__(self) -> None:
        super().__init__("the session has ended: sign in again")


class AccountLocked(PermissionDenied):
    """Too many failed sign-ins (or disabled by an admin): refused until unlocked."""

    def __init__(self, *, until: str | None) -> None:
        self.until = until
        when = f"until {until}" if until else "until an admin of the institution enables it"
        super().__init__(f"the account is locked {when}")


class CsrfFailed(PermissionDenied):
    """A cookie-authenticated write without the session's X-CSRF-Token header."""

    def __init__(self) -> None:
        super().__init__("a write with a session cookie needs the session's X-CSRF-Token header")


class RoleRequired(PermissionDenied):
    """The person's role inside its institution does not allow the action."""

    def __init__(self, *, username: str, action: str, roles: tuple[str, ...]) -> None:
        self.username = username
        self.action = action
        self.roles = roles
        super().__init__(f"{username} may not {action}: needs role {' or '.join(roles)}")


class ScopeRequired(PermissionDenied):
    """The API key's scopes do not allow the action."""

    def __init__(self, *, scope: str, action: str) -> None:
        self.scope = scope
        self.action = action
        super().__init__(f"this API key may not {action}: it lacks the scope {scope!r}")


class OwnDraft(PermissionDenied):
    """A person checking a draft they made: four eyes means two people."""

    def __init__(self, *, draft_id: object) -> None:
        self.draft_id = draft_id
        super().__init__(f"draft {draft_id} was made by you: another checker must decide it")


class AlreadyDecided(InvalidState):
    """A draft no longer pending, or a checker deciding the same draft twice."""

    def __init__(self, *, draft_id: object, state: str) -> None:
        self.draft_id = draft_id
        self.state = state
        super().__init__(f"draft {draft_id} is {state}")


class NotMaker(PermissionDenied):
    """Someone other than a draft's maker asking for the secrets its approval made."""

    def __init__(self, *, draft_id: object) -> None:
        self.draft_id = draft_id
        super().__init__(f"only the maker of draft {draft_id} may read what it made")


class AlreadyRevealed(InvalidState):
    """The secrets an approved draft made, asked for again after they were handed over."""

    def __init__(self, *, draft_id: object) -> None:
        self.draft_id = draft_id
        super().__init__(f"the secrets of draft {draft_id} were revealed once and erased")


class DraftExpired(InvalidState):
    """A draft that waited past its expiry without the approvals it needs."""

    def __init__(self, *, draft_id: object) -> None:
        self.draft_id = draft_id
        super().__init__(f"draft {draft_id} expired before it was approved: make it again")


class UserExists(InvalidState):
    """A user of that name already exists at the participant."""

    def __init__(self, *, participant: str, username: str) -> None:
        self.participant = participant
        self.username = username
        super().__init__(f"{participant} already has a user {username!r}")


# Money (docs/money.md): amounts, currencies, pricing.


class AmountNotAString(InvalidInput, TypeError):
    """An amount given as a JSON number, boolean or anything but a decimal string: a float
    cannot hold 0.10 exactly, and an integer would be read in minor units by some clients
    and in currency units by others."""

    def __init__(self, *, field: str, value: object) -> None:
        self.field = field
        self.kind = _JSON_KINDS.get(type(value), type(value).__name__)
        super().__init__(
            f'{field} must be a decimal string in its currency (e.g. "1000000.00"), not {self.kind}'
        )


# How a refused amount reads in a message: as the JSON value a client sent.
_JSON_KINDS: dict[type, str] = {
    int: "a JSON number",
    float: "a JSON number",
    bool: "a boolean",
    type(None): "null",
    list: "an array",
    dict: "an object",
}


class AmountMalformed(InvalidInput):
    """An amount string that is not plain decimal notation (digits, one optional point and
    fraction): no sign, exponent, spaces, separators or leading zeros."""

    def __init__(self, *, field: str, text: str) -> None:
        self.field = field
        self.text = text
        super().__init__(
            f"{field} {text[:40]!r} is not a decimal amount: write digits with an optional "
            "'.' and fraction, e.g. \"1000000.00\" (no sign, exponent, spaces or separators)"
        )


class AmountTooPrecise(InvalidInput):
    """An amount with more fractional digits than its currency has (it is never rounded)."""

    def __init__(self, *, field: str, text: str, currency: str, digits: int) -> None:
        self.field = field
        self.text = text
        self.currency = currency
        self.digits = digits
        super().__init__(
            f"{field} {text!r} has more decimals than {currency} has ({digits}); "
            "amounts are never rounded"
        )


class AmountOutOfRange(InvalidInput):
    """An amount below what is allowed (negative, or zero where zero is refused) or above
    what the ledger holds."""

    def __init__(self, *, field: str, text: str, reason: str) -> None:
        self.field = field
        self.text = text
        self.reason = reason
        super().__init__(f"{field} {text[:60]!r} is out of range: {reason}")


class UnknownCurrency(InvalidInput):
    """A currency code that is no active ISO 4217 legal tender."""

    def __init__(self, code: object) -> None:
        self.code = code
        shown = code[:12] if isinstance(code, str) else type(code).__name__
        super().__init__(
            f"{shown!r} is not an active ISO 4217 currency code (three capital letters, e.g. CNY)"
        )


class CurrencyNotAccepted(InvalidInput):
    """A real currency that this deployment does not accept (not on the consortium's list,
    or minor units other than the ledger's value decimals)."""

    def __init__(self, *, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{code} is not accepted on this ledger: {reason}")


class NotExact(InvalidInput, TypeError):
    """A float or boolean where money or a rate needs an exact number (an int of minor
    units, a Decimal rate)."""

    def __init__(self, *, field: str, value: object, expected: str) -> None:
        self.field = field
        self.kind = type(value).__name__
        super().__init__(f"{field} must be {expected}, not a {self.kind}")


class InvalidRate(InvalidInput):
    """A rate or a number of basis points that is not a plain decimal string in range."""

    def __init__(self, *, field: str, text: str, reason: str) -> None:
        self.field = field
        self.text = text
        self.reason = reason
        super().__init__(f"{field} {text[:40]!r} is not a valid rate: {reason}")


class UnknownConvention(InvalidInput):
    """A day count, business-day convention or calendar name that is not supported."""

    def __init__(self, *, kind: str, name: object, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = known
        shown = name[:40] if isinstance(name, str) else type(name).__name__
        super().__init__(f"unknown {kind} {shown!r}; use one of " + ", ".join(known))


class CalendarNotCovered(InvalidInput):
    """A date in a year the market calendar has no holiday data for (e.g. China's holidays
    are published by the State Council late in the year before)."""

    def __init__(self, *, calendar: str, day: object, years: tuple[int, int]) -> None:
        self.calendar = calendar
        self.day = day
        self.years = years
        super().__init__(
            f"the {calendar} calendar knows the years {years[0]}-{years[1]}; "
            f"{day} is outside them (update the calendar package)"
        )


class OfferNotViable(InvalidInput):
    """Pricing terms that give no sensible offer: a due date not after the funding date,
    a discount or fees that leave nothing to pay out."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the offer is not viable: {reason}")


class SetOffRoundInvalid(InvalidInput):
    """A set-off round the contract would refuse, found before it is sent: items out of
    order or too many, an amount above its piece's value or leaving a remainder below the
    minimum piece value, a piece that cannot be netted, pieces of several currencies, or
    amounts that do not balance for every party (docs/setoff.md)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the set-off round is refused: {reason}")


# -- people: single sign-on ----------------------------------------------------------------


class SsoStateInvalid(InvalidInput):
    """A single sign-on callback whose state names no pending login of this browser (unknown,
    already used, expired, begun in another browser or for another participant)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"single sign-on refused: {reason}; start the login again")


class SsoFailed(AuthenticationRequired):
    """The identity provider refused the login, or what it answered does not hold (the code
    exchange failed, the ID token's signature, issuer, audience, expiry or nonce)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"single sign-on failed: {reason}")


class SsoUnknownUser(PermissionDenied):
    """The identity provider vouched for a person who is no active user of the participant
    (users are created by the participant's admins, never by signing in)."""

    def __init__(self, *, participant: str, claim: str) -> None:
        self.participant = participant
        self.claim = claim
        super().__init__(
            f"the identity provider's {claim} names no active user of {participant!r}; "
            "ask one of its admins to create the user"
        )


class PasswordChangeRequired(PermissionDenied):
    """A person signed in with a temporary password: only me, logout and the password
    change are open until the password is changed."""

    def __init__(self, *, username: str) -> None:
        self.username = username
        super().__init__(
            f"{username} signed in with a temporary password: change it first"
            " (POST /v1/auth/password)"
        )


class LastAdmin(InvalidState):
    """A change that would leave a participant without an enabled admin."""

    def __init__(self, *, participant: str, username: str) -> None:
        self.participant = participant
        self.username = username
        super().__init__(f"{username} is the last admin of {participant}: make another admin first")


class PeriodInvalid(InvalidInput):
    """A statement or export period that is not two ISO dates (YYYY-MM-DD), `from` on or
    before `to`, at most the longest period apart."""

    def __init__(self, *, field: str, value: str, reason: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field} {value[:40]!r}: {reason}")


class TimeZoneUnknown(InvalidInput):
    """A time zone that is not an IANA name the gateway knows (e.g. Asia/Shanghai)."""

    def __init__(self, *, value: str) -> None:
        self.value = value
        super().__init__(f"time zone {value[:64]!r} is not an IANA time zone (e.g. Asia/Shanghai)")


class ExportFormatUnknown(InvalidInput):
    """An export format other than those offered."""

    def __init__(self, *, value: str, formats: tuple[str, ...]) -> None:
        self.value = value
        super().__init__(f"format {value[:16]!r} is not one of {', '.join(formats)}")


class BatchInvalid(InvalidInput):
    """An ERP batch in CSV that cannot be read as lines: no kind named, not UTF-8, columns
    not the kind's, no line or more than the limit, a malformed multipart upload."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"batch: {reason}")


class BatchRejected(InvalidInput):
    """An all-or-none ERP batch (`all_or_none=true`) with at least one line refused: nothing
    was sent; the answer lists every refused line's problem."""

    def __init__(self, *, problems: list[dict[str, Any]], lines: int) -> None:
        self.problems = problems  # [{"line": n, "problem": {...}}]
        self.lines = lines
        super().__init__(f"{len(problems)} of {lines} lines refused; nothing was sent")
