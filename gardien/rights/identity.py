"""A proof of identity, asked only with a reasonable doubt, recorded.

    from gardien.rights import identity

    identity.ask(request, reason=…, actor=…)   # staff: the link is emailed (or: ask by post)
    identity.pending(token)                     # the upload page: the document awaited
    identity.store(token, data)                 # its POST: checked by content, kept encrypted
    identity.read(request)                      # the DPO's back office: (type, bytes) | None

**When.** Staff ask only with a reason, which is recorded on the request
(``doubt_reason``) and told to the person. A request with an email address gets a
single-use upload link at that address (the one the request is about, never another); a
request by post only gets nothing by email: the DPO asks by post.

**What.** JPEG, PNG or PDF, recognised by their first bytes, never by the file's name or
the type the browser claims; at most :data:`MAX_BYTES`. The file is written through the
vault's encrypted storage under a random name; only the DPO reads it.

**Until when.** ``services.close`` destroys it (file and row) with the rule "until request
closed", and writes that to the audit log and the request's timeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gardien.audit.services import Actor, record
from gardien.lib import clock
from gardien.processors.outbox import enqueue
from gardien.rights.models import ACTIVITY, IdentityDocument, RightsRequest
from gardien.rights.services import RightsError, _audit, event
from gardien.vault import storage

#: How long an upload link works.
LINK_LIFETIME = dt.timedelta(days=7)
#: The largest document accepted: what the encrypted storage takes.
MAX_BYTES = storage.MAX_BYTES
#: What is accepted, recognised by the file's first bytes: type → (signature, extension).
ACCEPTED: dict[str, tuple[bytes, str]] = {
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "application/pdf": (b"%PDF-", ".pdf"),
}


@dataclass(frozen=True)
class Asked:
    """What :func:`ask` did: ``by_post`` when no link could be emailed (the DPO writes);
    ``message`` says it in a sentence for staff."""

    by_post: bool
    message: str


class UploadRefused(RightsError):
    """An upload that is not kept; ``status`` is the HTTP answer (400 or 413), the message
    says what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# --- staff ------------------------------------------------------------------------------


def ask(request: RightsRequest, *, reason: str, actor: Actor) -> Asked:
    """Ask the person for a proof of identity, for ``reason`` (told to them, in those words).

    Refused without a reason, on a closed request, or once a document was received. With an
    email address, an upload link is sent to it (a new one replaces any earlier one); a
    request by post only is recorded as asked, and the DPO asks by post."""
    from gardien.rights import tasks

    reason = reason.strip()
    if not reason:
        raise RightsError(
            _(
                "Give the reason for the doubt about the person's identity: a proof is asked "
                "only with a reasonable doubt, and the person is told why."
            )
        )
    if request.closed_at is not None or request.state in (
        RightsRequest.State.CLOSED,
        RightsRequest.State.REFUSED,
    ):
        raise RightsError(_("This request is closed; no proof of identity can be asked."))
    with transaction.atomic():
        locked = RightsRequest.objects.select_for_update().get(pk=request.pk)
        if locked.closed_at is not None:
            raise RightsError(_("This request is closed; no proof of identity can be asked."))
        document = IdentityDocument.objects.filter(request=locked).first()
        if document is not None and document.uploaded_at is not None:
            raise RightsError(
                _(
                    "A proof of identity was already received for this request; the DPO can "
                    "read it in the back office."
                )
            )
        RightsRequest.objects.filter(pk=request.pk).update(doubt_reason=reason)
        request.refresh_from_db()
        if not request.email:
            event(request, "identity_asked", actor, note=_("by post: no email address"))
            _audit(actor, "identity_ask", request, "by post")
            return Asked(
                by_post=True,
                message=_(
                    "The reason is recorded. This request has no email address, so no upload "
                    "link can be sent: the DPO asks for the proof of identity by post, giving "
                    "this reason."
                ),
            )
        now = clock.now()
        if document is None:
            document = IdentityDocument.objects.create(request=request, asked_at=now)
        else:  # asked again (the link expired, or was lost): the earlier link stops working
            document.asked_at = now
            document.upload_sha256 = ""
            document.upload_expires_at = None
            document.save(update_fields=["asked_at", "upload_sha256", "upload_expires_at"])
        event(request, "identity_asked", actor, note=_("upload link sent by email"))
        _audit(actor, "identity_ask", request)
        # The task issues the link: its token never sits in a task's arguments.
        enqueue(tasks.send_identity_link, request.pk)
    return Asked(
        by_post=False,
        message=_(
            "An upload link is being sent to the address the request is about, with the reason."
        ),
    )


def new_upload_token(request: RightsRequest) -> str | None:
    """Issue the upload link of the document awaited for ``request`` (an earlier one stops
    working); only the token's hash is kept. None when no document is awaited any more."""
    document = (
        IdentityDocument.objects.select_for_update()
        .filter(request=request, uploaded_at__isnull=True, request__closed_at__isnull=True)
        .first()
    )
    if document is None:
        return None
    token = secrets.token_urlsafe(32)
    document.upload_sha256 = _sha256(token)
    document.upload_expires_at = clock.now() + LINK_LIFETIME
    document.save(update_fields=["upload_sha256", "upload_expires_at"])
    return token


# --- the person -------------------------------------------------------------------------


def _awaited(token: str) -> QuerySet[IdentityDocument]:
    return IdentityDocument.objects.filter(
        upload_sha256=_sha256(token),
        upload_expires_at__gt=clock.now(),
        uploaded_at__isnull=True,
        request__closed_at__isnull=True,
    )


def pending(token: str) -> IdentityDocument | None:
    """The document an upload link stands for, while the link works."""
    if not token or len(token) > 100 or not token.isascii():
        return None
    return _awaited(token).select_related("request").first()


def sniff(data: bytes) -> str | None:
    """The type of ``data`` by its first bytes (JPEG, PNG or PDF), or None."""
    for content_type, (signature, _extension) in ACCEPTED.items():
        if data.startswith(signature):
            return content_type
    return None


def check(data: bytes) -> str:
    """The accepted type of ``data``, or :class:`UploadRefused` saying what to send."""
    if len(data) > MAX_BYTES:
        raise UploadRefused(413, too_large_message())
    if not data:
        raise UploadRefused(400, _("Choose the file of your document, then send it."))
    content_type = sniff(data)
    if content_type is None:
        raise UploadRefused(
            400,
            _(
                "This file is not a JPEG or PNG picture or a PDF document, whatever its name "
                "says; nothing was kept. Take a photo or a scan of your document as JPEG, PNG "
                "or PDF, and send it again."
            ),
        )
    return content_type


def too_large_message() -> str:
    return _(
        "This file is larger than %(size)s MB; nothing was kept. Send a smaller photo or "
        "scan of your document (a lower resolution is enough to read it)."
    ) % {"size": MAX_BYTES // (1024 * 1024)}


def store(token: str, data: bytes) -> IdentityDocument | None:
    """Keep the document sent through an upload link, encrypted, and use up the link.

    None when the link does not work (unknown, used, expired, request closed);
    :class:`UploadRefused` when the file is not accepted, and then nothing is kept."""
    if pending(token) is None:
        return None
    content_type = check(data)
    with transaction.atomic():
        document = _awaited(token).select_for_update(of=("self",)).first()
        if document is None:  # used up or closed in the meantime
            return None
        request = document.request
        now = clock.now()
        # A random name: the uploader's file name may itself be personal.
        name = uuid.uuid4().hex + ACCEPTED[content_type][1]
        document.document.save(name, ContentFile(data), save=False)
        try:
            document.content_type = content_type
            document.uploaded_at = now
            document.upload_sha256 = ""
            document.upload_expires_at = None
            document.save(
                update_fields=[
                    "document",
                    "content_type",
                    "uploaded_at",
                    "upload_sha256",
                    "upload_expires_at",
                ]
            )
            actor = (
                Actor.subject(str(request.person_id))
                if request.person_id is not None
                else Actor.system()
            )
            record(
                actor=actor,
                action="create",
                target_type=IdentityDocument._meta.label_lower,
                target_ref=str(document.pk),
                reason=f"{ACTIVITY}: {request.reference} identity document received",
            )
            event(request, "identity_received", actor, note=content_type)
        except BaseException:
            document.document.delete(save=False)  # nothing is kept of a failed upload
            raise
    return document


# --- the DPO ----------------------------------------------------------------------------


def read(request: RightsRequest, *, actor: Actor | None = None) -> tuple[str, bytes] | None:
    """The proof of identity received for ``request``, as (content type, bytes), decrypted;
    None when there is none. For the DPO's back office only: the caller checks the role.
    With ``actor``, the reading is written to the audit log."""
    document = IdentityDocument.objects.filter(request=request, uploaded_at__isnull=False).first()
    if document is None or not document.document or not document.document.name:
        return None
    with document.document.open("rb") as handle:
        data = handle.read()
    if actor is not None:
        record(
            actor=actor,
            action="read",
            target_type=IdentityDocument._meta.label_lower,
            target_ref=str(document.pk),
            reason=f"{ACTIVITY}: {request.reference}",
        )
    return document.content_type, data
