"""The newsletter's list: sign-ups waiting for confirmation, subscribers, the proof of each
consent, and the campaigns sent to them.

A subscriber's address is the one kept on its Person (the vault); nothing else is kept about
them but their language. The proof of consent outlives the subscription (the manifest's
``optin_proof`` record says how long): it then keeps only a keyed hash of the address.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import kept, technical
from gardien.vault.fields import BlindIndexField, EncryptedTextField
from gardien.vault.models import Person
from gardien.vault.registry import AT_EVENT, personal_data

ACTIVITY = "newsletter"


@personal_data(
    activity=ACTIVITY,
    person="person",
    fields=["email"],
    erase="delete",
    record="pending_signup",
    timestamp="created_at",
)
class PendingSignup(models.Model):
    """A sign-up waiting for its confirmation.

    Written as received (the same one row whatever the address, so the answer tells nothing
    about it); the worker then files it: dropped if the address is already subscribed or was
    sent a link a moment ago, otherwise the confirmation email is enqueued. Only the hash of
    the link's token is kept. ``person`` is set when the address already belongs to one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="newsletter_signups"
    )
    email = EncryptedTextField(_("email address"))
    email_index = BlindIndexField(source="email", editable=False, db_index=True)
    lang = models.CharField(_("language"), max_length=2)
    source = models.CharField(_("source"), max_length=200)
    policy_version = models.PositiveIntegerField(_("policy version"))
    statement_sha256 = models.CharField(_("consent statement (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(_("signed up"), db_index=True)
    filed_at = models.DateTimeField(_("filed"), null=True, blank=True, db_index=True)
    emailed_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    # NULL until the email is sent: unique among the links sent, which "" could not be.
    token_sha256 = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pending sign-up")
        verbose_name_plural = _("pending sign-ups")

    def __str__(self) -> str:
        return gettext("sign-up %(ref)s") % {"ref": str(self.id)[:8]}


@personal_data(
    activity=ACTIVITY,
    person="person",
    fields={"email_hash": "email"},
    erase="anonymise",
    record="optin_proof",
    timestamp="withdrawn_at",
)
class ConsentProof(models.Model):
    """What proves one consent to the newsletter: when it was asked and confirmed, the exact
    statement (its hash; the text is in the policy version named), where it was given, and
    when it was withdrawn. The address is kept only as a keyed hash (``email_hash``), which
    matches the address when it is presented again; no IP address is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="newsletter_proofs"
    )
    email_hash = models.CharField(_("address (keyed hash)"), max_length=80, db_index=True)
    lang = models.CharField(_("language"), max_length=2)
    source = models.CharField(_("source"), max_length=200)
    policy_version = models.PositiveIntegerField(_("policy version"))
    statement_sha256 = models.CharField(_("consent statement (SHA-256)"), max_length=64)
    signed_up_at = models.DateTimeField(_("signed up"))
    confirmed_at = models.DateTimeField(_("confirmed"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, db_index=True)
    withdrawn_how = models.CharField(_("withdrawn through"), max_length=40, blank=True)

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = _("proof of consent to the newsletter")
        verbose_name_plural = _("proofs of consent to the newsletter")

    def __str__(self) -> str:
        return gettext("proof %(ref)s") % {"ref": str(self.id)[:8]}


@personal_data(
    activity=ACTIVITY,
    person="person",
    fields=[],
    erase="delete",
    timestamp="confirmed_at",
    until={"consent withdrawn": AT_EVENT},  # unsubscribing deletes the subscription
)
class Subscription(models.Model):
    """A confirmed subscriber: the person (whose address the vault keeps), the language they
    read, and the proof of their consent. Gone when they unsubscribe."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="newsletter_subscription"
    )
    lang = models.CharField(_("language"), max_length=2)
    proof = models.OneToOneField(
        ConsentProof, on_delete=models.PROTECT, related_name="subscription"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), db_index=True)

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return gettext("subscriber %(ref)s") % {"ref": str(self.id)[:8]}


@kept(because=_("the newsletters sent: their text, no personal data"))
class Campaign(models.Model):
    """One email to every confirmed subscriber: a newsletter, or the notice of a change to
    the privacy policy. Its deliveries are listed when it starts, so a send that stops half
    way resumes with exactly the people not yet sent to."""

    class Kind(models.TextChoices):
        NEWSLETTER = "newsletter", _("newsletter")
        POLICY_CHANGE = "policy_change", _("privacy policy change")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    content_sha256 = models.CharField(max_length=64, db_index=True)
    policy_version = models.PositiveIntegerField(_("policy version"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.subject


@kept(because=_("goes with its subscriber"))
class Delivery(models.Model):
    """One campaign to one subscriber. ``sent_at`` is written as soon as the mail server
    accepted the message; a delivery whose subscriber left is deleted with them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery to a subscriber")
        verbose_name_plural = _("deliveries to subscribers")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "subscription"], name="one_delivery_per_subscriber"
            )
        ]
        indexes = [models.Index(fields=["campaign", "sent_at"], name="delivery_campaign_sent")]

    def __str__(self) -> str:
        return gettext("delivery %(ref)s") % {"ref": self.pk}


@personal_data(
    activity=ACTIVITY,
    person="person",
    fields={"email": "email", "previous_email": "email"},
    erase="delete",
    timestamp="updated_at",
    until={"consent withdrawn": AT_EVENT},  # the sync deletes the row once the processor holds it
)
class ProcessorSync(models.Model):
    """What the newsletter's processor (Brevo) should hold for one address, until it does.

    Every change that concerns the processor (a confirmation, an unsubscription, an erasure,
    a rectification) writes the state wanted here and enqueues the sync task in the same
    transaction. The task always applies the latest wanted state and deletes this row once
    the processor holds it, so a later unsubscription wins over an earlier creation whatever
    order the attempts run in. The address stays encrypted here only until then."""

    class Wanted(models.TextChoices):
        SUBSCRIBED = "subscribed", _("subscribed")
        ABSENT = "absent", _("removed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    processor = models.CharField(_("processor"), max_length=64)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = EncryptedTextField(_("email address"))
    email_index = BlindIndexField(source="email", editable=False)
    previous_email = EncryptedTextField(_("previous email address"), blank=True)
    wanted = models.CharField(_("to hold"), max_length=16, choices=Wanted.choices)
    version = models.PositiveIntegerField(_("changes"), default=1)
    updated_at = models.DateTimeField(_("changed"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "email_index"], name="one_sync_per_address"
            )
        ]
        verbose_name = _("change waiting for the processor")
        verbose_name_plural = _("changes waiting for the processor")

    def __str__(self) -> str:
        return f"{self.processor}: {self.wanted}"


def _replay_window() -> dt.timedelta:
    from gardien.newsletter.webhooks import EVENT_MAX_AGE

    return EVENT_MAX_AGE


@technical(
    timestamp="received_at",
    lifetime=_replay_window,
    because=_("an older webhook is refused anyway, so its trace can go"),
)
class WebhookEvent(models.Model):
    """A processor's webhook already applied (its hash), so a replayed one is refused."""

    digest = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("processor notification")
        verbose_name_plural = _("processor notifications")

    def __str__(self) -> str:
        return self.digest[:12]
