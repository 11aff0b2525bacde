"""A message sent through the contact form: the answers to the fields the manifest declares."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.vault.fields import EncryptedTextField
from gardien.vault.models import Person
from gardien.vault.registry import DECLARED_FIELDS, personal_data

ACTIVITY = "contact"


def new_reference() -> str:
    """A short random reference the visitor and the staff can quote (no sequence to guess)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    return "C-" + "".join(secrets.choice(alphabet) for _ in range(10))


@personal_data(
    activity=ACTIVITY,
    person="person",
    fields={"answers": DECLARED_FIELDS, "email": "email"},
    erase="delete",
    timestamp="received_at",
)
class ContactMessage(models.Model):
    """One message. ``answers`` holds, encrypted, the declared fields the person filled in,
    as a JSON object keyed by the manifest's field names.

    A message is received with its sender's address (``email``, encrypted) and no person;
    the worker then files it (gardien.contact.services.file_received): the person found or
    created by that address, the address then kept on the person only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference)
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="contact_messages",
        verbose_name=_("person"),
    )
    email = EncryptedTextField(_("email address until filed"), blank=True)
    answers = EncryptedTextField(_("answers"))
    lang = models.CharField(_("language"), max_length=2)
    policy_version = models.PositiveIntegerField(_("policy version"))
    received_at = models.DateTimeField(_("received"), db_index=True)
    filed_at = models.DateTimeField(_("filed"), null=True, blank=True, db_index=True)
    notified_at = models.DateTimeField(_("staff notified"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledgement sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")

    def __str__(self) -> str:
        return self.reference
