"""The audit log: an append-only chain of entries, each signed over the one before it.

Rows are written only by :func:`gardien.audit.services.record` and removed only, as a whole
prefix, by :func:`gardien.audit.services.purge_before`, which leaves an
:class:`AuditCheckpoint` so the rest of the chain still verifies. :class:`AuditHead` is the
highest position ever written, so a log cut at its end, or emptied, does not verify.
Database triggers (migration 0002) refuse any other UPDATE or DELETE on these tables.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from gardien.audit.signing import KEY_ID_LENGTH
from gardien.retention.registry import kept, retained

HASH_LENGTH = 64
GENESIS_HASH = "0" * HASH_LENGTH
REF_LENGTH = 64
ACTION_LENGTH = 32
REASON_LENGTH = 200


class AuditLogIsAppendOnly(RuntimeError):
    """Someone tried to change or delete an audit row through the ORM."""


class ActorKind(models.TextChoices):
    STAFF = "staff", _("staff member")
    SYSTEM = "system", _("system")
    SUBJECT = "subject", _("data subject")


class _WriteOnce(models.Model):
    """Rows that may be inserted once and never saved again nor deleted one by one."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly(
                f"{self._meta.verbose_name} {self.pk} cannot be changed: the audit log is "
                "append-only. Record a new entry instead."
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly(
            f"{self._meta.verbose_name} {self.pk} cannot be deleted: the audit log is "
            "append-only; old entries leave it only through `gardien audit purge`."
        )


@retained(
    activity="security",
    record="audit_trail",
    timestamp="at",
    purge="gardien.audit.services.purge_for_retention",
)
class AuditEntry(_WriteOnce):
    """One audited event. Holds references only: never a name, an email or a value."""

    position = models.PositiveBigIntegerField(_("position"), unique=True)
    at = models.DateTimeField(_("at"))
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    actor_ref = models.CharField(_("actor"), max_length=REF_LENGTH)
    action = models.CharField(_("action"), max_length=ACTION_LENGTH)
    target_type = models.CharField(_("target type"), max_length=REF_LENGTH)
    target_ref = models.CharField(_("target"), max_length=REF_LENGTH, db_index=True)
    reason = models.CharField(_("reason"), max_length=REASON_LENGTH, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=HASH_LENGTH)
    # The HMAC of the entry under the audit key named by key_id; the next entry's prev_hash.
    hash = models.CharField(_("hash"), max_length=HASH_LENGTH)
    key_id = models.CharField(_("key id"), max_length=KEY_ID_LENGTH)

    class Meta:
        ordering = ["-position"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="audit_entry_position_from_1"
            ),
            models.CheckConstraint(
                condition=models.Q(actor_kind__in=ActorKind.values),
                name="audit_entry_actor_kind_known",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    Exact(Length("hash"), HASH_LENGTH), Exact(Length("prev_hash"), HASH_LENGTH)
                ),
                name="audit_entry_hashes_are_sha256",
            ),
        ]

    def __str__(self) -> str:
        from gardien.audit import words  # words reads this module's ActorKind

        return words.entry(self.position, self.action, self.target_type, self.target_ref)


@kept(because=_("where the audit chain resumes after each purge: one row per purge"))
class AuditCheckpoint(_WriteOnce):
    """Where the chain resumes after a purge: the last purged entry's position and hash.

    The newest checkpoint (highest position) is where verification starts; older ones stay
    as the history of purges, and each one's count must meet the one before it. Signed like
    the entries, so a checkpoint inserted to hide deleted entries does not verify.
    """

    position = models.PositiveBigIntegerField(_("last purged position"), unique=True)
    hash = models.CharField(_("last purged hash"), max_length=HASH_LENGTH)
    at = models.DateTimeField(_("last purged entry's date"))
    # Wall-clock time of the purge, whatever date the purge was told to act as of.
    purged_at = models.DateTimeField(_("purged at"))
    business_now = models.DateTimeField(_("purge's date of reference"), null=True, blank=True)
    count = models.PositiveBigIntegerField(_("entries purged"))
    key_id = models.CharField(_("key id"), max_length=KEY_ID_LENGTH)
    mac = models.CharField(_("signature"), max_length=HASH_LENGTH)

    class Meta:
        ordering = ["-position"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position__gte=1, count__gte=1),
                name="audit_checkpoint_not_empty",
            ),
            models.CheckConstraint(
                condition=Exact(Length("hash"), HASH_LENGTH),
                name="audit_checkpoint_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"checkpoint at #{self.position}"


@kept(because=_("the audit log's highest position ever written: a single row, never removed"))
class AuditHead(models.Model):
    """The newest entry's position and hash, signed: the log's high-water mark.

    A single row, created by the migration that installs the triggers, so its absence is
    itself a sign of tampering. The triggers only let its position grow.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    # Random per installation: a head copied from another Gardien does not verify here.
    install = models.CharField(_("installation"), max_length=32)
    position = models.PositiveBigIntegerField(_("highest position"))
    hash = models.CharField(_("hash at that position"), max_length=HASH_LENGTH)
    key_id = models.CharField(_("key id"), max_length=KEY_ID_LENGTH)
    mac = models.CharField(_("signature"), max_length=HASH_LENGTH)

    class Meta:
        verbose_name = _("audit log head")
        verbose_name_plural = _("audit log head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single")]

    def __str__(self) -> str:
        return f"head at #{self.position}"
