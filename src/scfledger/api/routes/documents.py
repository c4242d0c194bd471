"""`/v1/documents`: multipart upload into the content-addressed store, download by parties."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from scfledger.api.deps import CurrentActor, GatewayDep, Writer
from scfledger.api.gateway import Gateway
from scfledger.api.guard import GuardedRoute
from scfledger.api.schemas import DocumentOut
from scfledger.exceptions import RecordNotFound
from scfledger.services.documents import (
    ALLOWED_TYPES,
    FILE_FIELD,
    DocumentStore,
    readable_document,
    record_upload_within_quota,
)

router = APIRouter(tags=["documents"], route_class=GuardedRoute)

Sha256 = Annotated[str, Path(pattern=r"^(0x)?[0-9a-fA-F]{64}$")]

# The body is parsed as it streams (see services.documents), so FastAPI does not see a
# form parameter; this documents it in the OpenAPI schema.
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
                },
                "encoding": {FILE_FIELD: {"contentType": ", ".join(ALLOWED_TYPES)}},
            }
        },
    }
}


def document_store(gateway: Gateway) -> DocumentStore:
    return DocumentStore(
        root=gateway.settings.document_dir, max_bytes=gateway.settings.document_max_bytes
    )


@router.post(
    "/v1/documents",
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
    responses={
        413: {"description": "Too large, or past the uploader's storage quota"},
        415: {"description": "Type not accepted"},
    },
)
async def upload(request: Request, gateway: GatewayDep, actor: Writer) -> DocumentOut:
    """Stores a document (field `file`) by its SHA-256; the same bytes again are the same
    document. Active members only (403). Over the size limit (413 `document-too-large`),
    past the uploader's storage quota (413 `storage-quota-exceeded`) or of another type
    (415), nothing is stored."""
    actor.require_active("upload documents")
    receiver = document_store(gateway).receiver(
        request.headers.get("content-type"), request.headers.get("content-length")
    )
    try:
        async for chunk in request.stream():
            receiver.feed(chunk)
        stored = receiver.finish()
        await run_in_threadpool(
            record_upload_within_quota,
            sessions=gateway.sessions,
            actor=actor,
            document=stored,
            quota=gateway.settings.document_quota_bytes,
        )
        receiver.place(stored)
    finally:
        receiver.discard()
    return DocumentOut(sha256=stored.sha256, size=stored.size, content_type=stored.content_type)


@router.get(
    "/v1/documents/{sha256}",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in ALLOWED_TYPES}}},
)
def download(sha256: Sha256, gateway: GatewayDep, actor: CurrentActor) -> FileResponse:
    """The document, for auditors, its uploaders and parties to a receivable or piece that
    refers to it; 404 for everyone else."""
    digest = sha256.lower().removeprefix("0x")
    with gateway.sessions() as session:
        row = readable_document(session=session, actor=actor, sha256=digest)
        content_type = row.content_type
    path = document_store(gateway).path(digest)
    if not path.is_file():
        raise RecordNotFound(kind="document", key=digest)
    return FileResponse(
        path,
        media_type=content_type,
        filename=digest,
        headers={"ETag": f'"{digest}"', "X-Content-Type-Options": "nosniff"},
    )
