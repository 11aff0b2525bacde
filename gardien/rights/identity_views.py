"""The upload page of a proof of identity (``/rights/identity/<token>``, from the email sent
by ``tasks.send_identity_link``): GET shows the form and changes nothing; POST checks the
file by its content and keeps it encrypted, once.

The file is held in memory while it is checked, never written to a temporary file in clear,
and dropped past the size limit as it arrives: the body's declared size is checked before
anything is read, then the bytes themselves are counted.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone, translation
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from gardien.lib import jsonapi
from gardien.policy import notice
from gardien.policy import services as policy
from gardien.rights import identity
from gardien.rights.models import ACTIVITY, IdentityDocument

FIELD = "document"
#: What a multipart body may hold beyond the file: the boundaries, headers and CSRF token.
ENVELOPE = 64 * 1024


class CappedMemoryUpload(FileUploadHandler):
    """Keep uploaded files in memory, and drop every file once ``limit`` bytes arrived (all
    files together): ``exceeded`` says so."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.total = 0
        self.exceeded = False
        self.buffer: BytesIO | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()
        raise StopFutureHandlers()  # no other handler ever sees the bytes

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.total += len(raw_data)
        if self.total > self.limit:
            self.exceeded = True
            self.buffer = None
            raise SkipFile()
        assert self.buffer is not None
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if self.buffer is None or self.exceeded:
            return None
        buffer, self.buffer = self.buffer, None
        buffer.seek(0)
        return InMemoryUploadedFile(
            file=buffer,
            field_name=self.field_name,
            name=self.file_name or "",
            content_type=self.content_type or "",
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def _context(language: str) -> dict[str, Any]:
    manifest = policy.published_manifest()
    context: dict[str, Any] = (
        notice.notice_context(manifest, language, ACTIVITY) if manifest is not None else {}
    )
    context["max_mb"] = identity.MAX_BYTES // (1024 * 1024)
    context["accept"] = ",".join(identity.ACCEPTED)
    return context


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _invalid(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    return _private(render(request, "rights/link_invalid.html", context, status=404))


def _form(
    request: HttpRequest,
    context: dict[str, Any],
    document: IdentityDocument,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    expires = formats.date_format(timezone.localtime(document.upload_expires_at), "DATETIME_FORMAT")
    return _private(
        render(
            request,
            "rights/identity/upload.html",
            {
                **context,
                "reference": document.request.reference,
                "expires": expires,
                "problem": problem,
            },
            status=status,
        )
    )


@csrf_exempt  # checked below, once the upload handlers are set (they must come first)
@require_http_methods(["GET", "HEAD", "POST"])
def upload_page(request: HttpRequest, token: str, lang: str | None = None) -> HttpResponse:
    """GET shows the form (a link scanner changes nothing); POST keeps the document."""
    language = jsonapi.language(request, lang)
    with translation.override(language):
        context = _context(language)
        document = identity.pending(token)
        if document is None:
            return _invalid(request, context)
        if request.method != "POST":
            return _form(request, context, document)
        if jsonapi.too_large(request, identity.MAX_BYTES + ENVELOPE):
            return _form(request, context, document, identity.too_large_message(), 413)
        handler = CappedMemoryUpload(request, identity.MAX_BYTES)
        request.upload_handlers = [handler]
        return _receive(request, token, context, document, handler)


@csrf_protect
def _receive(
    request: HttpRequest,
    token: str,
    context: dict[str, Any],
    document: IdentityDocument,
    handler: CappedMemoryUpload,
) -> HttpResponse:
    upload = request.FILES.get(FIELD)
    if handler.exceeded:
        return _form(request, context, document, identity.too_large_message(), 413)
    try:
        stored = identity.store(token, upload.read() if upload is not None else b"")
    except identity.UploadRefused as refused:
        return _form(request, context, document, str(refused), refused.status)
    if stored is None:
        return _invalid(request, context)
    return _private(
        render(
            request,
            "rights/identity/received.html",
            {**context, "reference": stored.request.reference},
        )
    )
