"""Rights requests: one case per request, its timeline, its identity document, its links.

A :class:`RightsRequest` holds what the requester told us (encrypted), the rights asked, the
dates that matter (received, due, extended, verified, answered, closed) and, once verified,
the person it is about. Its :class:`CaseEvent` rows are the timeline the DPO reads and keeps
after closure; they name no one. An :class:`IdentityDocument` exists only when staff asked for
one with a recorded reason, and is destroyed when the request closes. A
:class:`DownloadLink` delivers an access or portability package once.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import kept
from gardien.vault.fields import BlindIndexField, EncryptedTextField
from gardien.vault.models import Person
from gardien.vault.registry import personal_data
from gardien.vault.storage import encrypted_storage

ACTIVITY = "rights"


def new_reference() -> str:
    """A short random reference the requester and the DPO quote (no sequence to guess)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    return "R-" + "".join(secrets.choice(alphabet) for _ in range(10))


class Right(models.TextChoices):
    ACCESS = "access", _("access to my data")
    RECTIFICATION = "rectification", _("rectification")
    ERASURE = "erasure", _("erasure")
    RESTRICTION = "restriction", _("restriction of processing")
    PORTABILITY = "portability", _("a copy of my data (portability)")
    OBJECTION = "objection", _("objection")
    WITHDRAWAL = "withdrawal", _("withdrawal of consent")


class Channel(models.TextChoices):
    FORM = "form", _("the form on the site")
    EMAIL = "email", _("email")
    POST = "post", _("post")


@personal_data(
    activity=ACTIVITY,
    person="person",
    fields={
        "last_name": "last_name",
        "first_name": "first_name",
        "email": "email",
        "reply_email": "email",
        "postal_address": "postal_address",
        "details": "request",
        # What staff wrote about the request (the person is told the first and the last).
        "extension_reason": "request",
        "doubt_reason": "request",
        "refusal_reason": "request",
        "grounds": "request",
    },
    erase="delete",
    timestamp="closed_at",
)
class RightsRequest(models.Model):
    """One request to exercise rights, from intake to answer."""

    class State(models.TextChoices):
        AWAITING_VERIFICATION = "unverified", _("waiting for the person to confirm")
        VERIFIED = "verified", _("verified")
        REFUSED = "refused", _("refused")
        CLOSED = "closed", _("closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference)
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rights_requests",
        verbose_name=_("person"),
    )
    channel = models.CharField(_("received by"), max_length=8, choices=Channel.choices)
    lang = models.CharField(_("language"), max_length=2)
    rights = models.JSONField(_("rights asked"), default=list)
    # What the requester told us, encrypted. ``email`` is the address the request is about
    # (the one on file is written to); ``reply_email`` the one it came from, when different.
    last_name = EncryptedTextField(_("last name"), blank=True)
    first_name = EncryptedTextField(_("first name"), blank=True)
    email = EncryptedTextField(_("email address concerned"), blank=True)
    email_index = BlindIndexField(source="email", editable=False)
    reply_email = EncryptedTextField(_("email address it came from"), blank=True)
    postal_address = EncryptedTextField(_("postal address"), blank=True)
    details = EncryptedTextField(_("details"), blank=True)
    consent_reference = models.CharField(_("consent reference"), max_length=32, blank=True)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=State.choices,
        default=State.AWAITING_VERIFICATION,
        db_index=True,
    )
    received_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("answer due"), db_index=True)
    extended_to = models.DateTimeField(_("extended to"), null=True, blank=True)
    extension_reason = EncryptedTextField(_("reasons for the extension"), blank=True)
    verification_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    verification_expires_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    doubt_reason = EncryptedTextField(_("reason to ask for a proof of identity"), blank=True)
    refusal_reason = EncryptedTextField(_("reasons for the refusal"), blank=True)
    grounds = EncryptedTextField(_("compelling legitimate grounds recorded"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")

    def __str__(self) -> str:
        return self.reference

    @property
    def deadline(self) -> dt.datetime:
        """When the answer is due: the extension when there is one."""
        return self.extended_to or self.due_at


@kept(because=_("the timeline of a request, gone with it"))
class CaseEvent(models.Model):
    """One step of a request's timeline. ``note`` never holds a personal value: a right, a
    processor's name, a count, a rule."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    kind = models.CharField(_("what"), max_length=40)
    actor = models.CharField(_("by"), max_length=80)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("step of a request")
        verbose_name_plural = _("steps of requests")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


@personal_data(
    activity=ACTIVITY,
    person="request__person",
    fields={"document": "identity_document"},
    erase="delete",
    record="identity_document",
    timestamp="uploaded_at",
    until={"request closed": "request_closed_at"},
)
class IdentityDocument(models.Model):
    """A proof of identity asked because of a reasonable doubt: uploaded once through its
    link, readable by the DPO only, destroyed when the request closes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(
        RightsRequest, on_delete=models.CASCADE, related_name="identity_document"
    )
    upload_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    upload_expires_at = models.DateTimeField(null=True, blank=True)
    document = models.FileField(
        _("document"), storage=encrypted_storage, upload_to="identity/", blank=True
    )
    content_type = models.CharField(_("type"), max_length=40, blank=True)
    asked_at = models.DateTimeField(_("asked"))
    uploaded_at = models.DateTimeField(_("received"), null=True, blank=True)
    request_closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("proof of identity")
        verbose_name_plural = _("proofs of identity")

    def __str__(self) -> str:
        return gettext("identity document %(ref)s") % {"ref": str(self.id)[:8]}


@kept(because=_("a download link of a request, gone with it"))
class DownloadLink(models.Model):
    """A single-use, expiring link to the package of an access or portability request. The
    package is built when it is downloaded; only the token's hash is kept."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("access")
        PORTABILITY = "portability", _("portability")

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("download link")
        verbose_name_plural = _("download links")

    def __str__(self) -> str:
        return f"{self.kind} link {self.pk}"
