from __future__ import annotations

import hmac
import uuid
from binascii import unhexlify
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from gardien.lib import crypto
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
        return gettext("person %(ref)s") % {"ref": str(self.id)[:8]}


@kept(because=_("goes with the person, or with their last record of the activity"))
class LastContact(models.Model):
    """When a person last interacted with the organisation, per activity (retention reads it)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="last_contacts")
    activity = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("last contact")
        verbose_name_plural = _("last contacts")
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
        verbose_name = _("restriction")
        verbose_name_plural = _("restrictions")
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
        verbose_name = _("key rotation")
        verbose_name_plural = _("key rotations")
        constraints = [
            models.UniqueConstraint(fields=["model", "key_id"], name="one_rotation_per_model")
        ]

    def __str__(self) -> str:
        return f"key rotation of {self.model}"


@kept(because=_("a staff member's second factor, gone with their account"))
class EncryptedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's TOTP device with its key encrypted under the field keys.

    django-otp keeps the key in clear, so a copy of the database would leave only the
    password between its reader and the back office. The fields and the verification are
    django-otp's own (``verify_token`` and ``config_url`` are its TOTPDevice's); only where
    the key lives differs. ``gardien keys rotate`` re-encrypts the keys.
    """

    encrypted_key = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @classmethod
    def create_for(cls, user: Any, name: str, hex_key: str | None = None) -> EncryptedTOTPDevice:
        device = cls(user=user, name=name, confirmed=True)
        device.set_key(hex_key or random_hex(20))
        device.save()
        return device

    def set_key(self, hex_key: str) -> None:
        self.encrypted_key = crypto.encrypt(hex_key)
        self._key_set = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, leaving the stored key alone unless :meth:`set_key` changed it.

        django-otp's ``verify_token`` saves the whole device (drift, last code, throttle):
        a login that read the device before ``gardien keys rotate`` re-encrypted its key
        would otherwise write the key back under the old field key, which could then be
        removed while this device still needs it."""
        whole = not self._state.adding and kwargs.get("update_fields") is None
        if whole and not getattr(self, "_key_set", False):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "encrypted_key"
            ]
        super().save(*args, **kwargs)
        self._key_set = False

    @property
    def bin_key(self) -> bytes:
        return unhexlify(crypto.decrypt(self.encrypted_key).encode("ascii"))


@kept(because=_("a staff member's backup codes, gone with their account"))
class HashedStaticDevice(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's static device (backup codes) with each code kept as a keyed hash.

    A code is checked against every code left, in constant time, and deleted when it
    matches: it works once.
    """

    class Meta(Device.Meta):
        verbose_name = _("set of backup codes")
        verbose_name_plural = _("sets of backup codes")

    def add_codes(self, codes: list[str]) -> None:
        HashedStaticToken.objects.bulk_create(
            HashedStaticToken(device=self, digest=crypto.backup_code_digests(code)[0])
            for code in codes
        )

    def get_throttle_factor(self) -> int:
        from django.conf import settings

        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)  # type: ignore[no-any-return]

    def verify_token(self, token: str) -> bool:
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        match = self._match(str(token))
        # The delete is the proof of use: of two logins racing with one code, one wins.
        if match is not None and HashedStaticToken.objects.filter(pk=match).delete()[0]:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False

    def _match(self, token: str) -> int | None:
        """The matching code's id; every code left is compared, whatever matches first."""
        digests = crypto.backup_code_digests(token)
        found = None
        for pk, stored in self.hashedstatictoken_set.values_list("pk", "digest"):
            for digest in digests:
                if hmac.compare_digest(stored, digest):
                    found = pk
        return found


@kept(because=_("a staff member's backup codes, gone with their account"))
class HashedStaticToken(models.Model):
    """One backup code, as its keyed hash (``crypto.backup_code_digests``)."""

    device = models.ForeignKey(HashedStaticDevice, on_delete=models.CASCADE)
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("backup code")
        verbose_name_plural = _("backup codes")

    def __str__(self) -> str:
        return f"backup code of {self.device}"


@kept(because=_("which keys the stored data was written with, one row per kind of key"))
class KeyFingerprint(models.Model):
    """The fingerprints of the keys the data needs (``gardien.vault.keycheck``), never keys."""

    kind = models.CharField(max_length=16, unique=True)
    newest = models.CharField(max_length=32)
    #: Every key the data may still be under: the keys configured at each start, narrowed
    #: to the newest by a finished ``gardien keys rotate``.
    known = models.JSONField(default=list)
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("key fingerprint")
        verbose_name_plural = _("key fingerprints")

    def __str__(self) -> str:
        return f"fingerprints of the {self.kind} keys"
