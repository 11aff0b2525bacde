from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import kept
from gardien.vault.fields import BlindIndexField, EncryptedTextField
from gardien.vault.registry import personal_data


@personal_data(activity=None, person="", fields=["email"], erase="delete", timestamp="created_at")
class Person(models.Model):
    """A data subject: one person across contact messages, newsletter and requests.

    Found only through the keyed blind index of the normalised email address.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = EncryptedTextField(_("email address"))
    email_index = BlindIndexField(source="email", unique=True, editable=False)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"person {str(self.id)[:8]}"


@kept(because=_("goes with the person, or with their last record of the activity"))
class LastContact(models.Model):
    """When a person last interacted with the organisation, per activity (retention reads it)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="last_contacts")
    activity = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "activity"], name="one_last_contact_per_activity"
            )
        ]

    def __str__(self) -> str:
        return f"last contact ({self.activity})"


@kept(because=_("lasts until it is lifted; goes with the person"))
class Restriction(models.Model):
    """Processing of this person's data is restricted (GDPR Art. 18), for one activity or all.

    ``ground`` is the case of Art. 18(1) that applies. In cases (b) and (c) the person wants
    the data kept although it would otherwise go, so the retention purge holds it while the
    restriction lasts; in cases (a) and (d) the restriction only pauses processing.
    """

    ALL = ""

    class Ground(models.TextChoices):
        ACCURACY = "accuracy", _("accuracy contested (Art. 18(1)(a))")
        UNLAWFUL = "unlawful", _("unlawful processing, erasure opposed (Art. 18(1)(b))")
        LEGAL_CLAIMS = "legal_claims", _("needed by the person for legal claims (Art. 18(1)(c))")
        OBJECTION = "objection", _("objection pending verification (Art. 18(1)(d))")

    #: The grounds under which the data must be kept: the retention purge holds it.
    HOLDING_ERASURE = (Ground.UNLAWFUL, Ground.LEGAL_CLAIMS)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="restrictions")
    activity = models.CharField(max_length=64, blank=True, help_text=_("empty: every activity"))
    since = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    ground = models.CharField(
        _("ground"), max_length=16, choices=Ground.choices, default=Ground.ACCURACY
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "activity"], name="one_restriction_per_activity"
            )
        ]

    def __str__(self) -> str:
        return f"restriction ({self.activity or 'all activities'})"


@kept(because=_("the progress of a key rotation, one row per table"))
class KeyRotation(models.Model):
    """Progress of `gardien keys rotate`, so an interrupted rotation resumes where it stopped."""

    model = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16)
    last_pk = models.CharField(max_length=64, blank=True)
    done = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "key_id"], name="one_rotation_per_model")
        ]

    def __str__(self) -> str:
        return f"key rotation of {self.model}"
