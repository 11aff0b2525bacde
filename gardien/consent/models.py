"""The consent ledger: one row per choice a visitor made, kept as proof.

It is the one table that grows with the site's traffic, so it stays narrow, append-only
and without foreign keys, indexed by time: a large PostgreSQL deployment can partition it
by month on ``recorded_at`` and let retention drop whole partitions. It holds nothing that
names the visitor: a random consent id, never an IP address or a user agent.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact, In
from django.utils.translation import gettext_lazy as _

from gardien.lib import when
from gardien.retention.registry import kept, retained

#: A consent id Gardien issues: 16 random bytes and 8 of their HMAC, URL-safe base64.
CONSENT_ID_LENGTH = 32
#: The unsigned ids issued before (secrets.token_urlsafe(16)), still in the ledger.
LEGACY_CONSENT_ID_LENGTH = 22
#: The banner's key for one choice (docs/consent.md), so that its retry writes no second proof.
REQUEST_ID_LENGTH = 22
HASH_LENGTH = 64


class ConsentLedgerIsAppendOnly(RuntimeError):
    """Someone tried to change or delete a proof of consent one row at a time."""


class ConsentAction(models.TextChoices):
    ACCEPT_ALL = "accept_all", _("accepted all")
    REFUSE_ALL = "refuse_all", _("refused all")
    CUSTOM = "custom", _("chose purpose by purpose")
    WITHDRAW = "withdraw", _("withdrew consent")
    GPC = "gpc", _("Global Privacy Control signal")
    CLOSE = "close", _("closed the banner without accepting")


#: The actions that refuse every purpose needing consent and object to the exempt ones
#: (docs/consent.md): "Refuse all" after a consent is sent as "withdraw", closing the
#: banner is no consent, and GPC is a refusal and an objection.
REFUSING_ACTIONS = frozenset(
    {ConsentAction.REFUSE_ALL, ConsentAction.CLOSE, ConsentAction.WITHDRAW, ConsentAction.GPC}
)


@retained(activity="consent", timestamp="recorded_at")
class ConsentRecord(models.Model):
    """One choice, tied to the exact configuration (version, language, hash) it was made on."""

    consent_id = models.CharField(_("consent id"), max_length=CONSENT_ID_LENGTH, db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=ConsentAction.choices)
    decisions = models.JSONField(_("decisions"))
    policy_version = models.PositiveIntegerField(_("policy version"))
    config_hash = models.CharField(_("configuration hash"), max_length=HASH_LENGTH)
    lang = models.CharField(_("language"), max_length=2)
    gpc = models.BooleanField(_("Global Privacy Control"), default=False)
    # Not part of the proof (LEDGER_COLUMNS): random, drawn by the banner per choice. NULL,
    # not "", when the banner sent none: NULLs never collide in the unique constraint.
    request_id = models.CharField(  # noqa: DJ001
        _("request id"), max_length=REQUEST_ID_LENGTH, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("proof of consent")
        verbose_name_plural = _("proofs of consent")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=ConsentAction.values),
                name="consent_record_action_known",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    In(Length("consent_id"), [LEGACY_CONSENT_ID_LENGTH, CONSENT_ID_LENGTH]),
                    Exact(Length("config_hash"), HASH_LENGTH),
                ),
                name="consent_record_ids_have_their_length",
            ),
            # NULLs are distinct: only the choices the banner keyed are unique.
            models.UniqueConstraint(fields=["request_id"], name="consent_record_request_id_unique"),
            models.CheckConstraint(
                condition=models.Q(lang__in=["fr", "en"]), name="consent_record_lang_known"
            ),
        ]

    def __str__(self) -> str:
        # What the back office titles a proof with: in words, the time in the organisation's zone.
        return f"{self.consent_id} — {self.get_action_display()} — {when.text(self.recorded_at)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ConsentLedgerIsAppendOnly(
                f"proof of consent {self.pk} cannot be changed: the consent ledger is "
                "append-only. A new choice is recorded as a new row."
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ConsentLedgerIsAppendOnly(
            f"proof of consent {self.pk} cannot be deleted one by one: proofs leave the "
            "ledger only through the retention purge."
        )


#: A proof's columns, all but the row id and the request id, in the model's order: the
#: ledger's INSERT, the export's columns and the back office's page of a proof.
LEDGER_COLUMNS: tuple[str, ...] = tuple(
    field.name
    for field in ConsentRecord._meta.local_fields
    if not field.primary_key and field.name != "request_id"
)


def _no_longer_shown() -> models.Q:
    """Configurations of an earlier version that no proof names any more."""
    from gardien.policy import services as policy

    named = ConsentRecord.objects.filter(config_hash=models.OuterRef("hash"))
    latest = policy.latest_number() or 0
    return ~models.Q(models.Exists(named)) & models.Q(version__lt=latest)


@retained(activity="consent", timestamp="first_served_at", only=_no_longer_shown)
class ShownConfiguration(models.Model):
    """Every banner configuration document as it was served, frozen under its hash.

    A proof names the hash of what the visitor saw; this keeps that exact document, so
    the proof can be checked even after Gardien's defaults or address have changed.
    """

    hash = models.CharField(_("hash"), max_length=HASH_LENGTH, unique=True)
    version = models.PositiveIntegerField(_("policy version"))
    lang = models.CharField(_("language"), max_length=2)
    body = models.TextField(_("document"))
    first_served_at = models.DateTimeField(_("first served"))

    class Meta:
        verbose_name = _("banner configuration shown")
        verbose_name_plural = _("banner configurations shown")

    def __str__(self) -> str:
        return f"v{self.version} {self.lang} {self.hash[:12]}"


def _emptied() -> models.Q:
    """Seals whose every proof has left the ledger (purged or erased): nothing left to check.
    Never the newest seal, which the next one chains to (``gardien.consent.seal``)."""
    left = ConsentRecord.objects.filter(
        pk__gte=models.OuterRef("first_pk"), pk__lte=models.OuterRef("last_pk")
    )
    newest = ConsentSeal.objects.order_by("-last_pk").values("last_pk")[:1]
    return ~models.Q(models.Exists(left)) & models.Q(last_pk__lt=models.Subquery(newest))


@retained(activity="consent", timestamp="sealed_at", only=_emptied)
class ConsentSeal(models.Model):
    """The Merkle root of the proofs recorded between two row ids, written into the audit log.

    The ledger is append-only, so a row-id range names a set of proofs once and for all.
    The leaves (each proof's SHA-256) and the row ids are kept with the root, so that a
    changed, removed or inserted proof is named, and a proof can be shown sealed after its
    neighbours were purged. A seal goes with the last of its proofs (``gardien.consent.seal``).
    """

    first_pk = models.PositiveBigIntegerField(_("first proof"), unique=True)
    last_pk = models.PositiveBigIntegerField(_("last proof"), unique=True)
    count = models.PositiveIntegerField(_("proofs sealed"))
    root = models.CharField(_("Merkle root"), max_length=HASH_LENGTH)
    sealed_at = models.DateTimeField(_("sealed at"))
    pks = models.BinaryField(_("row ids"), editable=False)  # 8 bytes each, big-endian
    leaves = models.BinaryField(_("leaves"), editable=False)  # 32 bytes each, in row id order
    # The last proof of the seal before this one when it was made: the seals form a chain,
    # so one deleted (with or without its proofs) leaves a break. A seal dropped lawfully
    # (emptied by the retention purge) passes its link on to the next seal, re-signed.
    after_pk = models.PositiveBigIntegerField(_("after proof"), default=0)
    # HMAC under the audit key (gardien.audit.signing) of the columns above but the blobs,
    # which the root covers: a seal cannot be rewritten, back-dated or renumbered quietly.
    key_id = models.CharField(_("audit key"), max_length=16, default="", editable=False)
    signature = models.CharField(_("signature"), max_length=64, default="", editable=False)

    class Meta:
        ordering = ["first_pk"]
        verbose_name = _("consent ledger seal")
        verbose_name_plural = _("consent ledger seals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_pk__lte=models.F("last_pk")),
                name="consent_seal_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_pk}..{self.last_pk} {self.root[:12]}"


@kept(because=_("goes with its seal"))
class ConsentSealRemoval(models.Model):
    """Proofs of a seal removed on purpose (the retention purge, an erasure), by position."""

    class Cause(models.TextChoices):
        PURGE = "purge", _("retention purge")
        ERASURE = "erasure", _("erasure request")

    seal = models.ForeignKey(
        ConsentSeal, on_delete=models.CASCADE, related_name="removals", verbose_name=_("seal")
    )
    removed_at = models.DateTimeField(_("removed at"))
    cause = models.CharField(_("cause"), max_length=10, choices=Cause.choices)
    count = models.PositiveIntegerField(_("proofs removed"))
    positions = models.TextField(_("positions"))  # "0-499,512": the leaves' positions
    key_id = models.CharField(_("audit key"), max_length=16, default="", editable=False)
    signature = models.CharField(_("signature"), max_length=64, default="", editable=False)

    class Meta:
        ordering = ["seal", "pk"]
        verbose_name = _("removal from a consent seal")
        verbose_name_plural = _("removals from consent seals")

    def __str__(self) -> str:
        return f"{self.cause} {self.positions[:40]}"
