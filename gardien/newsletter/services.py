"""The newsletter's list: sign-up, confirmation, unsubscription, and what the processor holds.

    from gardien.newsletter import services

    services.subscribe(data, lang="fr", source="page")   # Accepted | Refused, same for all
    services.file_signups()                              # the worker's periodic job
    services.pending_for(token) / services.confirm(token)   # the link in the email
    services.unsubscribe(token, how="one-click")         # the link in every email
    services.withdraw(person, how="staff")               # the same, from the back office
    services.audience()                                  # counts for the DPO

**Double opt-in.** A sign-up is one encrypted row written whatever the address (so the
answer and its timing say nothing about it). The worker files it within seconds: dropped if
the address is already subscribed, or was sent a link in the last SIGNUP_COOLDOWN; otherwise
the confirmation email is enqueued. Its link carries a random token of which only the hash
is kept; it expires with the manifest's ``pending_signup`` record, and is used once. The
link's page shows one button; its POST confirms: the person (vault), the subscription, the
proof of consent, the last contact, the welcome email and the processor's copy, in one
transaction.

**Unsubscribing** goes through a token in every email (``unsubscribe_token``): an HMAC of the
subscription's (or the pending sign-up's) id, so nothing is stored for it and an unknown
token looks like a used one. The subscription goes, the proof records the withdrawal and
keeps only a keyed hash of the address (as long as the manifest's ``optin_proof`` record
says: that hash is the one trace of an unsubscribed address, so no separate suppression list
is kept), the person goes too when nothing else is kept about them, and the processor is
told (``[newsletter] at_processor_on_withdrawal``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from gardien.audit.services import Actor, record
from gardien.lib import clock, crypto
from gardien.manifest.schema import Activity, Manifest, Newsletter
from gardien.newsletter.models import (
    ACTIVITY,
    ConsentProof,
    PendingSignup,
    ProcessorSync,
    Subscription,
)
from gardien.policy import forms as declared_forms
from gardien.policy import services as policy
from gardien.processors.outbox import enqueue
from gardien.vault import services as vault
from gardien.vault.models import Person

#: How many received sign-ups one run of the worker's job files before looking again.
FILE_BATCH = 100
#: How often the worker files received sign-ups.
FILE_EVERY = dt.timedelta(seconds=10)
#: A second sign-up of an address within this time sends no second email.
SIGNUP_COOLDOWN = dt.timedelta(minutes=10)
#: The unticked box that carries the consent statement, on every sign-up form.
CONSENT_FIELD = "newsletter_consent"
#: Slack around the address for one sign-up's body (field names, the challenge, encoding).
BODY_LIMIT = 16_384


@dataclass(frozen=True)
class Accepted:
    """A sign-up was taken; what happens next is told only to the address's owner."""


@dataclass(frozen=True)
class Refused:
    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Setup:
    """The published version's newsletter: its number, the manifest, the section, the activity."""

    version: int
    manifest: Manifest
    section: Newsletter
    activity: Activity

    def statement(self, lang: str) -> str:
        return self.section.consent.get(lang)

    def statement_sha256(self, lang: str) -> str:
        return hashlib.sha256(self.statement(lang).encode("utf-8")).hexdigest()

    @property
    def email_field(self) -> str:
        name = declared_forms.email_field(self.activity)
        assert name is not None  # the manifest rules require it
        return name

    def record(self, record_id: str) -> Any:
        return next((r for r in self.activity.records if r.id == record_id), None)

    @property
    def link_lifetime(self) -> Any:
        """How long a confirmation link lasts: the ``pending_signup`` record's period."""
        rule = self.record("pending_signup").retention
        return rule.after("created") or rule.longest


def setup() -> Setup | None:
    """The published newsletter, or None when the published policy declares none."""
    current = policy.published()
    if current is None or current.manifest.newsletter is None:
        return None
    manifest = current.manifest
    try:
        activity = manifest.activity(ACTIVITY)
    except KeyError:
        return None
    assert manifest.newsletter is not None
    return Setup(current.number, manifest, manifest.newsletter, activity)


def offered_with(activity_id: str) -> Setup | None:
    """The newsletter, when the published manifest offers it on ``activity_id``'s form."""
    found = setup()
    return found if found is not None and activity_id in found.section.offered_with else None


# --- sign-up --------------------------------------------------------------------------


def signup_form(found: Setup, lang: str, data: Any = None) -> forms.Form:
    """The address (from the manifest) and the unticked consent box (its statement)."""
    form = declared_forms.declared_form(found.activity, lang, data=data)
    form.fields[CONSENT_FIELD] = consent_field(found, lang)
    return form


def consent_field(found: Setup, lang: str, *, required: bool = True) -> forms.BooleanField:
    return forms.BooleanField(
        label=found.statement(lang),
        required=required,
        initial=False,
        error_messages={
            "required": _(
                "Tick the box to say that you agree to receive the newsletter; nothing was kept."
            )
        },
    )


def _undeclared(found: Setup, keys: list[str]) -> list[str]:
    known = {found.email_field, CONSENT_FIELD, *declared_forms.TRANSPORT_FIELDS}
    return sorted(k for k in keys if k not in known)


def subscribe(
    data: Mapping[str, object],
    lang: str,
    source: str,
    *,
    also: Callable[[], object] | None = None,
) -> Accepted | Refused:
    """Validate a sign-up and keep it for the worker to file (see the module docstring).

    The answer is the same for a new, pending, subscribed or unsubscribed address.
    ``also`` runs in the transaction that keeps it (the anti-spam count).
    """
    found = setup()
    if found is None:
        return Refused(404, "no_newsletter", _("This site has no newsletter."))
    extra = _undeclared(found, list(data))
    if extra:
        return Refused(
            400,
            "undeclared_field",
            _(
                "These fields are not collected by this form, so nothing was kept: %(names)s. "
                "Send only the email address and the consent box."
            )
            % {"names": ", ".join(extra)},
            {name: [_("This field is not collected by this form.")] for name in extra},
        )
    values = {k: v for k, v in data.items() if k not in declared_forms.TRANSPORT_FIELDS}
    ticked = values.get(CONSENT_FIELD)
    if ticked is True or ticked in ("on", "true", "1"):
        values[CONSENT_FIELD] = "on"
    elif ticked is False or ticked in ("", "off", "false", "0"):
        values.pop(CONSENT_FIELD, None)  # unticked: the form says what to do
    elif CONSENT_FIELD in values:
        return Refused(
            400,
            "invalid",
            _("Some fields need your attention; nothing was kept yet."),
            {CONSENT_FIELD: [_("Send the box as true (ticked) or false.")]},
        )
    if any(not isinstance(value, str) for value in values.values()):
        return Refused(400, "not_text", _("Send the address as text and the box as true or on."))
    form = signup_form(found, lang, data=values)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return Refused(
            400, "invalid", _("Some fields need your attention; nothing was kept yet."), errors
        )
    keep(found, form.cleaned_data[found.email_field], lang, source, also=also)
    return Accepted()


def keep(
    found: Setup,
    email: str,
    lang: str,
    source: str,
    *,
    also: Callable[[], object] | None = None,
) -> PendingSignup:
    """Keep one validated sign-up for the worker (also the contact form's box)."""
    with transaction.atomic():
        pending = PendingSignup.objects.create(
            email=crypto.normalise_email(email),
            lang=lang,
            source=source[:200],
            policy_version=found.version,
            statement_sha256=found.statement_sha256(lang),
            created_at=clock.now(),
        )
        if also is not None:
            also()
    return pending


def file_signups(batch: int = FILE_BATCH) -> int:
    """File the sign-ups received since the last run (see the module docstring)."""
    from gardien.newsletter.tasks import send_confirmation

    found = setup()
    filed = 0
    waiting = PendingSignup.objects.filter(filed_at__isnull=True).order_by("created_at")
    for pending_id in list(waiting.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            pending = (
                PendingSignup.objects.select_for_update()
                .filter(pk=pending_id, filed_at__isnull=True)
                .first()
            )
            if pending is None:
                continue
            filed += 1
            person = vault.find_person(pending.email)
            subscribed = person is not None and Subscription.objects.filter(person=person).exists()
            since = clock.now() - SIGNUP_COOLDOWN
            recent = (
                PendingSignup.objects.filter(email_index=pending.email_index)
                .filter(Q(emailed_at__gte=since) | Q(filed_at__gte=since))
                .exclude(pk=pending.pk)
                .exists()
            )
            if found is None or subscribed or recent:
                pending.delete()  # already subscribed, or just sent a link: no second email
                continue
            pending.person = person
            pending.filed_at = clock.now()
            pending.expires_at = found.link_lifetime.after(pending.created_at)
            pending.save(update_fields=["person", "filed_at", "expires_at"])
            enqueue(send_confirmation, pending.pk)
    return filed


def file_signups_job() -> None:
    """The worker's periodic job (see NewsletterConfig.ready): file until none is left."""
    while file_signups():
        pass


def new_confirmation_token(pending: PendingSignup) -> str:
    """A fresh token for ``pending``'s link; only its hash is kept (the last one sent counts)."""
    token = secrets.token_urlsafe(32)
    pending.token_sha256 = _sha256(token)
    pending.emailed_at = clock.now()
    pending.save(update_fields=["token_sha256", "emailed_at"])
    return token


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def pending_for(token: str) -> PendingSignup | None:
    """The sign-up a confirmation link stands for, if the link is still valid."""
    if not token or len(token) > 100:
        return None
    return PendingSignup.objects.filter(
        token_sha256=_sha256(token), expires_at__gt=clock.now()
    ).first()


def confirm(token: str) -> Subscription | None:
    """Confirm the sign-up of a valid link (its POST): None when the link is not valid."""
    from gardien.newsletter.tasks import send_welcome

    with transaction.atomic():
        pending = pending_for(token)
        if pending is None:
            return None
        now = clock.now()
        person, _created = vault.get_or_create_person(
            pending.email, actor=Actor.system(), reason=ACTIVITY
        )
        subscription = Subscription.objects.filter(person=person).first()
        if subscription is None:
            proof = ConsentProof.objects.create(
                person=person,
                email_hash=crypto.blind_index(crypto.normalise_email(pending.email)),
                lang=pending.lang,
                source=pending.source,
                policy_version=pending.policy_version,
                statement_sha256=pending.statement_sha256,
                signed_up_at=pending.created_at,
                confirmed_at=now,
            )
            subscription = Subscription.objects.create(
                person=person, lang=pending.lang, proof=proof, confirmed_at=now
            )
            record(
                actor=Actor.subject(str(person.pk)),
                action="create",
                target_type=Subscription._meta.label_lower,
                target_ref=str(subscription.pk),
                reason=ACTIVITY,
            )
            enqueue(send_welcome, person.pk, subscription.pk)
            want(person.email, ProcessorSync.Wanted.SUBSCRIBED, person=person)
        vault.touch(person, ACTIVITY, now)
        PendingSignup.objects.filter(email_index=pending.email_index).delete()
    return subscription


def _hashes(email: str) -> list[str]:
    return crypto.blind_indexes(crypto.normalise_email(email))


# --- unsubscribing --------------------------------------------------------------------

_KINDS = {"s": Subscription, "p": PendingSignup}


def _mac(kind: str, raw: bytes, secret: str) -> bytes:
    message = kind.encode("ascii") + raw
    key = hashlib.sha256(f"gardien.newsletter.unsubscribe{secret}".encode()).digest()
    return hmac.new(key, message, hashlib.sha256).digest()[:16]


def unsubscribe_token(obj: Subscription | PendingSignup) -> str:
    """The token of ``obj``'s unsubscribe link: its id and a 128-bit HMAC, nothing stored."""
    kind = "s" if isinstance(obj, Subscription) else "p"
    raw = obj.pk.bytes
    encoded = base64.urlsafe_b64encode(raw + _mac(kind, raw, settings.SECRET_KEY)).decode()
    return kind + encoded.rstrip("=")


def _read_token(token: str) -> tuple[str, uuid.UUID] | None:
    if not isinstance(token, str) or len(token) != 44 or token[0] not in _KINDS:
        return None
    try:
        blob = base64.urlsafe_b64decode(token[1:] + "=")
    except ValueError:
        return None
    if len(blob) != 32:
        return None
    raw, mac = blob[:16], blob[16:]
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(hmac.compare_digest(mac, _mac(token[0], raw, s)) for s in secrets_):
        return None
    return token[0], uuid.UUID(bytes=raw)


def unsubscribe(token: str, *, how: str) -> None:
    """Apply an unsubscribe link: the subscription goes (or the pending sign-up is cancelled).

    Idempotent, and silent about tokens that are unknown, used or forged: the caller shows
    the same page whatever happened.
    """
    read = _read_token(token)
    if read is None:
        return
    kind, key = read
    with transaction.atomic():
        if kind == "p":
            PendingSignup.objects.filter(pk=key).delete()
            return
        subscription = (
            Subscription.objects.select_for_update().select_related("person").filter(pk=key).first()
        )
        if subscription is not None:
            _withdraw(subscription, how, Actor.subject(str(subscription.person_id)))


def withdraw(person: Person, *, how: str, actor: Actor) -> bool:
    """Unsubscribe ``person`` (staff, the processor's webhook); False if not subscribed."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .select_related("person")
            .filter(person=person)
            .first()
        )
        PendingSignup.objects.filter(email_index__in=_hashes(person.email)).delete()
        if subscription is None:
            return False
        _withdraw(subscription, how, actor)
        return True


def _withdraw(subscription: Subscription, how: str, actor: Actor, *, forget: bool = True) -> None:
    person = subscription.person
    now = clock.now()
    ConsentProof.objects.filter(pk=subscription.proof_id).update(
        withdrawn_at=now, withdrawn_how=how[:40], person=None
    )
    record(
        actor=actor,
        action="withdraw",
        target_type=Subscription._meta.label_lower,
        target_ref=str(subscription.pk),
        reason=f"{ACTIVITY}: {how}",
    )
    subscription.delete()  # the processor is told by on_subscription_deleted
    if forget:
        vault.forget_activity(person, ACTIVITY, actor=actor, reason=f"{ACTIVITY}: {how}")


def forget_signups(email: str) -> int:
    """Delete the unconfirmed sign-ups of an address (a rights request: erasure, objection,
    withdrawal); returns how many."""
    if not email:
        return 0
    return PendingSignup.objects.filter(email_index__in=_hashes(email)).delete()[0]


@receiver(vault.erasing)
def on_erasing(
    sender: Any, person: Person, activity: str | None, actor: Actor, **kwargs: Any
) -> None:
    """An erasure of the person (or of their newsletter data) unsubscribes them first, so the
    proof records the withdrawal and the processor is told; the erasure does the rest."""
    if activity not in (None, ACTIVITY):
        return
    subscription = Subscription.objects.select_related("person").filter(person=person).first()
    if subscription is not None:
        _withdraw(subscription, "erasure", actor, forget=False)


@receiver(vault.expiring, sender=Subscription)
def on_expiring(sender: Any, queryset: Any, **kwargs: Any) -> None:
    """The retention period of subscribers ended (no sign of life for the manifest's period):
    each proof records the withdrawal, as an unsubscription would; deleting the rows then
    tells the processor (on_subscription_deleted)."""
    now = clock.now()
    for subscription in queryset.only("pk", "proof_id"):
        ConsentProof.objects.filter(pk=subscription.proof_id).update(
            withdrawn_at=now, withdrawn_how="retention", person=None
        )
        record(
            actor=Actor.system(),
            action="withdraw",
            target_type=Subscription._meta.label_lower,
            target_ref=str(subscription.pk),
            reason=f"{ACTIVITY}: retention",
        )


@receiver(pre_delete, sender=Subscription)
def on_subscription_deleted(sender: Any, instance: Subscription, **kwargs: Any) -> None:
    """However a subscription goes (unsubscription, erasure, the person deleted), the
    processor is told in the same transaction."""
    person = Person.objects.filter(pk=instance.person_id).first()
    if person is not None:
        want(person.email, ProcessorSync.Wanted.ABSENT)


@receiver(vault.restriction_changed)
def on_restriction_changed(
    sender: Any, person: Person, activity: str, restricted: bool, **kwargs: Any
) -> None:
    """A restricted subscriber leaves the processor's list (Gardien keeps them, sends them
    nothing); when no restriction is left, they go back to it."""
    if activity not in ("", ACTIVITY) or not Subscription.objects.filter(person=person).exists():
        return
    if restricted:
        want(person.email, ProcessorSync.Wanted.ABSENT)
    elif not vault.is_restricted(person.pk, ACTIVITY):
        want(person.email, ProcessorSync.Wanted.SUBSCRIBED, person=person)


# --- the processor's copy -------------------------------------------------------------


def processor_id() -> str | None:
    """The processor that holds the list (``[newsletter] processor``), when it is switched on."""
    found = setup()
    if found is None or found.section.processor is None:
        return None
    if found.section.processor == "brevo" and not settings.GARDIEN_BREVO_API_KEY:
        return None
    return found.section.processor


def want(
    email: str,
    wanted: str,
    *,
    person: Person | None = None,
    previous_email: str = "",
) -> ProcessorSync | None:
    """Record what the processor should hold for ``email`` and enqueue the sync (see
    ProcessorSync). Call inside the transaction of the change; nothing when it is off."""
    from gardien.newsletter.tasks import sync_processor

    processor = processor_id()
    if processor is None:
        return None
    normalised = crypto.normalise_email(email)
    attached = person if wanted == ProcessorSync.Wanted.SUBSCRIBED else None
    with transaction.atomic():
        row = (
            ProcessorSync.objects.select_for_update()
            .filter(processor=processor, email_index__in=_hashes(normalised))
            .first()
        )
        if row is None:
            row = ProcessorSync.objects.create(
                processor=processor,
                person=attached,
                email=normalised,
                previous_email=previous_email,
                wanted=wanted,
                updated_at=clock.now(),
            )
        else:  # the same row, its version moved on: an attempt in flight applies it again
            row.person, row.wanted, row.version = attached, wanted, row.version + 1
            row.previous_email = previous_email or row.previous_email
            row.updated_at = clock.now()
            row.save(update_fields=["person", "wanted", "version", "previous_email", "updated_at"])
        enqueue(sync_processor, row.pk)
    return row


def email_changed(person: Person, previous: str) -> None:
    """Rectification: the processor's copy of a subscriber follows the new address."""
    if Subscription.objects.filter(person=person).exists():
        want(person.email, ProcessorSync.Wanted.SUBSCRIBED, person=person, previous_email=previous)


# --- last contact, counts, proof ------------------------------------------------------


def touch_if_subscribed(person: Person, at: dt.datetime | None = None) -> bool:
    """A subscriber wrote to the organisation (a contact message): the newsletter's last
    contact moves too, as its retention promises ("…nor write to us")."""
    if not Subscription.objects.filter(person=person).exists():
        return False
    vault.touch(person, ACTIVITY, at)
    return True


def touch_by_email(email: str, at: dt.datetime | None = None) -> bool:
    """A sign of life from a subscriber (a click reported by the processor, a reply): the
    newsletter's last contact moves. False when the address is not subscribed."""
    person = vault.find_person(email)
    if person is None or not Subscription.objects.filter(person=person).exists():
        return False
    vault.touch(person, ACTIVITY, at)
    return True


def audience() -> dict[str, int]:
    """How many addresses are pending, confirmed, unsubscribed and restricted."""
    restricted = Q(person__restrictions__activity__in=["", ACTIVITY])
    subscribed = Subscription.objects.all()
    return {
        "pending": PendingSignup.objects.filter(
            Q(expires_at__gt=clock.now()) | Q(expires_at__isnull=True)
        ).count(),
        "confirmed": subscribed.count(),
        "unsubscribed": ConsentProof.objects.filter(withdrawn_at__isnull=False).count(),
        "restricted": subscribed.filter(restricted).distinct().count(),
    }


def sendable() -> Any:
    """The subscriptions a campaign goes to: confirmed and not restricted."""
    return Subscription.objects.exclude(person__restrictions__activity__in=["", ACTIVITY]).order_by(
        "confirmed_at", "pk"
    )


@dataclass(frozen=True)
class Proofs:
    subscription: Subscription | None
    proofs: list[ConsentProof]
    pending: int


def proofs_for(email: str) -> Proofs:
    """Everything that proves (or withdrew) this address's consent, newest first."""
    person = vault.find_person(email)
    subscription = (
        Subscription.objects.filter(person=person).first() if person is not None else None
    )
    proofs = list(
        ConsentProof.objects.filter(email_hash__in=_hashes(email)).order_by("-confirmed_at")
    )
    pending = PendingSignup.objects.filter(email_index__in=_hashes(email)).count()
    return Proofs(subscription, proofs, pending)
