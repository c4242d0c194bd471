"""Uploaded documents: a content-addressed store on disk, who may read and who may anchor them.

An upload is parsed as it streams in: the content type is checked before the first byte
is written, the bytes are hashed into a temporary file beside the store while their size
is counted, and only a complete document within the limit, recorded within its uploader's
storage quota, is moved to its address.

Storage quota: the documents a participant uploaded count once each against
`SCF_DOCUMENT_QUOTA_BYTES`. A finished upload is checked when it is recorded, under a lock
on the uploader's rows so that concurrent uploads cannot both take the last room, and
before it is moved to its address: one that does not fit (413 `storage-quota-exceeded`)
leaves nothing behind. The same bytes uploaded again cost nothing. A refused upload has
cost at most `SCF_DOCUMENT_MAX_BYTES` of a temporary file, as any upload.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from eth_utils.address import to_checksum_address
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scfledger.db.apikeys import ApiKey
from scfledger.db.gateway_tables import Document
from scfledger.db.session import transaction
from scfledger.exceptions import (
    DocumentNotUploaded,
    DocumentTooLarge,
    InvalidInput,
    RecordNotFound,
    StorageQuotaExceeded,
    UnsupportedDocumentType,
)
from scfledger.services.visibility import sees_document

if TYPE_CHECKING:
    from scfledger.services.ledger import Actor

ALLOWED_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/xml",
    "text/xml",
    "application/json",
    "text/plain",
)
FILE_FIELD = "file"
# Room for the multipart framing and any small extra fields around the document.
FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True)
class DocumentStore:
    """Documents under `root/ab/cd/<sha256>`; uploads are staged in `root/.tmp`."""

    root: Path
    max_bytes: int

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receiver(self, content_type: str | None, content_length: str | None) -> Upload:
        """A parser for one multipart upload; refuses what is plainly too large or no form
        before reading the body."""
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise UnsupportedDocumentType(
                content_type=kind.decode("latin-1"), allowed=["multipart/form-data"]
            )
        length = int(content_length) if content_length and content_length.isdigit() else 0
        if length > self.max_bytes + FORM_OVERHEAD:
            raise DocumentTooLarge(limit=self.max_bytes)
        return Upload(self, boundary)


class Upload:
    """Feeds request body chunks through the multipart parser into a hashed temp file."""

    def __init__(self, store: DocumentStore, boundary: bytes) -> None:
        self._store = store
        self._received = 0
        self._headers: dict[str, str] = {}
        self._field = b""
        self._value = b""
        self._in_file = False
        self._done = False
        self._content_type = ""
        self._size = 0
        self._hash = hashlib.sha256()
        self._tmp: IO[bytes] | None = None
        self._tmp_path: Path | None = None
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received > self._store.max_bytes + FORM_OVERHEAD:
            raise DocumentTooLarge(limit=self._store.max_bytes)
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise InvalidInput(f"malformed multipart body: {exc}") from None

    def finish(self) -> StoredDocument:
        """The complete document, still staged: `place` stores it once it is recorded."""
        try:
            self._parser.finalize()
        except FormParserError as exc:
            raise InvalidInput(f"malformed multipart body: {exc}") from None
        if not self._done or self._tmp is None or self._tmp_path is None:
            raise InvalidInput(f"send the document as the multipart field {FILE_FIELD!r}")
        self._tmp.close()
        return StoredDocument(
            sha256=self._hash.hexdigest(), size=self._size, content_type=self._content_type
        )

    def place(self, document: StoredDocument) -> None:
        """Moves the finished document to its address (once: the same bytes are one file)."""
        if self._tmp_path is None:
            return
        target = self._store.path(document.sha256)
        if target.exists():
            self._tmp_path.unlink()
        else:
            _private_dirs(self._store.root, target.parent)
            os.replace(self._tmp_path, target)
        self._tmp_path = None

    def discard(self) -> None:
        """Removes the staged file of an upload that was refused or failed."""
        if self._tmp is not None:
            self._tmp.close()
        if self._tmp_path is not None:
            self._tmp_path.unlink(missing_ok=True)
            self._tmp_path = None

    # -- parser callbacks ------------------------------------------------------------

    def _part_begin(self) -> None:
        self._headers = {}
        self._field = self._value = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get("content-disposition"))
        if disposition.get(b"name") != FILE_FIELD.encode() or self._done:
            return  # other fields are read past and dropped
        kind, _ = parse_options_header(self._headers.get("content-type"))
        content_type = kind.decode("latin-1").lower()
        if content_type not in ALLOWED_TYPES:
            raise UnsupportedDocumentType(content_type=content_type, allowed=list(ALLOWED_TYPES))
        staging = self._store.root / ".tmp"
        _private_dirs(self._store.root, staging)
        fd, name = tempfile.mkstemp(dir=staging, prefix="upload-")
        self._tmp_path = Path(name)
        self._tmp = os.fdopen(fd, "wb")
        self._content_type = content_type
        self._in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file or self._tmp is None:
            return
        self._size += end - start
        if self._size > self._store.max_bytes:
            raise DocumentTooLarge(limit=self._store.max_bytes)
        chunk = data[start:end]
        self._hash.update(chunk)
        self._tmp.write(chunk)

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._done = True


def _private_dirs(root: Path, directory: Path) -> None:
    """`directory` under `root`, with `root` made 0700 where it is created: documents are
    the participants' business, not every local user's."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)


def check_quota(*, session: Session, actor: Actor, document: StoredDocument, quota: int) -> None:
    """Refuses recording `document` for the actor if it would pass its storage quota (the
    same bytes uploaded again cost nothing). Locks the uploader's API key rows first
    (PostgreSQL; SQLite serializes writers anyway), so concurrent uploads of one
    participant are checked one after the other."""
    session.execute(
        select(ApiKey.id).where(ApiKey.participant == actor.participant).with_for_update()
    ).all()
    again = session.scalar(
        select(Document.id).where(
            Document.sha256 == document.sha256, Document.uploader == actor.participant
        )
    )
    if again is not None:
        return
    used = session.scalar(
        select(func.coalesce(func.sum(Document.size), 0)).where(
            Document.uploader == actor.participant
        )
    )
    if int(used or 0) + document.size > quota:
        raise StorageQuotaExceeded(quota=quota, used=int(used or 0))


def record_upload(*, session: Session, actor: Actor, document: StoredDocument) -> None:
    """Notes who uploaded which bytes (once per uploader)."""
    exists = session.scalar(
        select(Document.id).where(
            Document.sha256 == document.sha256, Document.uploader == actor.participant
        )
    )
    if exists is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                Document(
                    sha256=document.sha256,
                    uploader=actor.participant,
                    content_type=document.content_type,
                    size=document.size,
                )
            )
    except IntegrityError:
        pass  # the same upload, concurrently


def record_upload_within_quota(
    *, sessions: sessionmaker[Session], actor: Actor, document: StoredDocument, quota: int
) -> None:
    """Records the actor's upload in one transaction, refused (StorageQuotaExceeded) when it
    would take the actor past `quota` bytes."""
    with transaction(sessions) as session:
        check_quota(session=session, actor=actor, document=document, quota=quota)
        record_upload(session=session, actor=actor, document=document)


@dataclass(frozen=True)
class Uploads:
    """Which of some documents (SHA-256 hex, lower case) the actor's participant uploaded
    here, read in one query (`uploads_among`): what `require` judges, for one request's
    document or for every line of an ERP batch at once."""

    sha256s: frozenset[str]

    def require(self, sha256: str) -> None:
        """Refuses (DocumentNotUploaded) to anchor a document the actor's participant did
        not upload here: an anchor lets whoever sees what it backs read the document, and a
        hash is public (it is in the ReceivableIssued and EvidenceAttached events). The
        answer is the same whether or not someone else uploaded it. `sha256` must be one of
        those the facts were read for (any other reads as not uploaded)."""
        if sha256.lower() not in self.sha256s:
            raise DocumentNotUploaded(sha256=sha256.lower())


def uploads_among(*, session: Session, actor: Actor, sha256s: Iterable[str]) -> Uploads:
    """Those of `sha256s` the actor's participant uploaded: one query whatever their number
    (an ERP batch has at most 10,000 lines: within the bound parameters of SQLite and
    PostgreSQL), none for none."""
    wanted = sorted({sha256.lower() for sha256 in sha256s})
    if not wanted:
        return Uploads(frozenset())
    found = session.scalars(
        select(Document.sha256).where(
            Document.uploader == actor.participant, Document.sha256.in_(wanted)
        )
    )
    return Uploads(frozenset(found))


def require_uploaded(*, session: Session, actor: Actor, sha256: str) -> None:
    """`Uploads.require` for one document."""
    uploads_among(session=session, actor=actor, sha256s=[sha256]).require(sha256)


def readable_document(*, session: Session, actor: Actor, sha256: str) -> Document:
    """The upload record of a document the actor may download: its uploaders', auditors',
    and whoever sees what an uploader anchored it on (`visibility.sees_document`). Anyone
    else gets RecordNotFound, as for an unknown document."""
    rows = list(
        session.scalars(select(Document).where(Document.sha256 == sha256).order_by(Document.id))
    )
    if not rows:
        raise RecordNotFound(kind="document", key=sha256)
    own = [row for row in rows if row.uploader == actor.participant]
    if own:
        return own[0]
    names = {row.uploader for row in rows}
    uploaders = sorted(
        {
            to_checksum_address(address)
            for address in session.scalars(
                select(ApiKey.address).where(ApiKey.participant.in_(names))
            )
        }
    )
    if sees_document(session, actor, sha256=sha256, uploaders=uploaders):
        return rows[0]
    raise RecordNotFound(kind="document", key=sha256)
