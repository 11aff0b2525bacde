"""Receiving a contact message: the one code path of the hosted page, the embedded snippet
and ``POST /api/contact``.

    from gardien.contact import services

    outcome = services.receive(data, lang="fr")   # Received | Refused
    services.file_received()                      # the worker's periodic job
    services.contact_activity()                   # the published activity, or None
    services.counts()                             # numbers for the back office's dashboard

A message is stored only when every field is declared and valid: an undeclared field is
refused by name, a missing or malformed one gets a sentence in the visitor's language, and
nothing is written. An accepted message is one encrypted row, written in one short
transaction, so that a burst of messages does not queue behind the vault's bookkeeping.
The worker then files it within seconds (:func:`file_received`): the person found or
created by email (vault), the person's last contact for ``contact`` moved (the retention
clock), an audit entry, and the staff notification enqueued in the outbox (with the
acknowledgement to the sender when GARDIEN_CONTACT_ACKNOWLEDGE is on). Until then the row
is already encrypted, durable and in the back office; only the link to the person waits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gardien.audit.services import Actor, record
from gardien.contact.models import ACTIVITY, ContactMessage
from gardien.lib import clock
from gardien.lib.sql import Insert
from gardien.manifest.schema import Activity
from gardien.newsletter import services as newsletter
from gardien.policy import forms as declared_forms
from gardien.policy import services as policy
from gardien.processors.outbox import enqueue
from gardien.vault import services as vault

#: How many received messages one transaction-per-message run files before looking again.
FILE_BATCH = 100
#: How often the worker files received messages (it looks at its periodic jobs every 30 s).
FILE_EVERY = dt.timedelta(seconds=10)

# What a request writes: one row, its INSERT prepared once (gardien.lib.sql).
_RECEIVED = ("id", "reference", "email", "answers", "lang", "policy_version", "received_at")
_received = Insert(ContactMessage, _RECEIVED)

#: Slack around the declared limits for one form's body (field names, separators, encoding).
BODY_OVERHEAD = 8192
#: The dashboard counts the messages received in this many last days.
RECENT_DAYS = 30


@dataclass(frozen=True)
class Received:
    message: ContactMessage


@dataclass(frozen=True)
class Refused:
    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)


def contact_activity() -> tuple[int, Activity] | None:
    """The published version's number and its ``contact`` activity; None if it has none."""
    current = policy.published()
    if current is None:
        return None
    try:
        return current.number, current.manifest.activity(ACTIVITY)
    except KeyError:
        return None


def form(activity: Activity, lang: str, data: Any = None, initial: Any = None) -> Any:
    """The contact form: the activity's declared fields, and the unticked box that also
    starts the newsletter's double opt-in when the manifest offers it (``[newsletter]
    offered_with``). The box never subscribes anyone by itself."""
    built = declared_forms.declared_form(activity, lang, data=data, initial=initial)
    offer = newsletter.offered_with(ACTIVITY)
    if offer is not None:
        built.fields[newsletter.CONSENT_FIELD] = newsletter.consent_field(
            offer, lang, required=False
        )
    return built


def _wants_newsletter(data: Mapping[str, object]) -> bool:
    return data.get(newsletter.CONSENT_FIELD) in (True, "on", "true", "1")


def max_body(activity: Activity) -> int:
    """The largest body a form of this activity can need: every field at its limit, each
    character percent-encoded UTF-8 (at most 12 bytes), plus the transport fields."""
    limits = sum((f.max_length or 1000) for f in declared_forms.collected(activity))
    return BODY_OVERHEAD + 12 * limits


def undeclared(activity: Activity, keys: list[str]) -> list[str]:
    declared = {f.name for f in declared_forms.collected(activity)}
    if newsletter.offered_with(ACTIVITY) is not None:
        declared.add(newsletter.CONSENT_FIELD)
    return sorted(k for k in keys if k not in declared and k not in declared_forms.TRANSPORT_FIELDS)


def receive(
    data: Mapping[str, object], lang: str, *, also: Callable[[], object] | None = None
) -> Received | Refused:
    """Validate and store one message (see the module docstring).

    ``also`` runs inside the transaction that stores it (the anti-spam count of an accepted
    submission): one commit for everything the message causes.
    """
    found = contact_activity()
    if found is None:
        return Refused(404, "no_contact_form", _("This site has no contact form."))
    version, activity = found
    extra = undeclared(activity, list(data))
    if extra:
        return Refused(
            400,
            "undeclared_field",
            _(
                "These fields are not collected by this form, so nothing was kept: %(names)s. "
                "Send only the form's fields."
            )
            % {"names": ", ".join(extra)},
            {name: [_("This field is not collected by this form.")] for name in extra},
        )
    values = {
        key: value
        for key, value in data.items()
        if key not in declared_forms.TRANSPORT_FIELDS and key != newsletter.CONSENT_FIELD
    }
    if any(not isinstance(value, str) for value in values.values()):
        return Refused(400, "not_text", _("Every field must be text; send each answer as text."))
    form = declared_forms.declared_form(activity, lang, data=values)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return Refused(
            400, "invalid", _("Some fields need your attention; nothing was kept yet."), errors
        )
    offer = newsletter.offered_with(ACTIVITY) if _wants_newsletter(data) else None
    email = form.cleaned_data.get(declared_forms.email_field(activity) or "", "")
    if offer is not None and email:

        def both() -> None:
            if also is not None:
                also()
            newsletter.keep(offer, email, lang, "contact")  # the double opt-in starts

        return Received(_store(activity, version, form.cleaned_data, lang, both))
    return Received(_store(activity, version, form.cleaned_data, lang, also))


def _store(
    activity: Activity,
    version: int,
    cleaned: dict[str, str],
    lang: str,
    also: Callable[[], object] | None = None,
) -> ContactMessage:
    email_name = declared_forms.email_field(activity)
    if email_name is None:  # the manifest check refuses such an activity; defend anyway
        raise ValueError('the contact activity declares no field with input = "email"')
    answers = {name: value for name, value in cleaned.items() if name != email_name and value}
    message = ContactMessage(
        email=cleaned[email_name],
        answers=json.dumps(answers, ensure_ascii=False),
        lang=lang,
        policy_version=version,
        received_at=clock.now(),
    )
    with transaction.atomic():
        _received.execute([getattr(message, name) for name in _RECEIVED])
        if also is not None:
            also()
    return message


def file_received(batch: int = FILE_BATCH) -> int:
    """File the messages received since the last run; returns how many.

    Each in its own transaction: the person found or created by the sender's address (the
    address then kept on the person only), the person's last contact moved to the time the
    message was received, the audit entry, and the staff notification (and the sender's
    acknowledgement when GARDIEN_CONTACT_ACKNOWLEDGE is on) enqueued in the outbox. A crash
    leaves the rest for the next run: nothing is filed twice, nothing is lost.
    """
    from gardien.contact.tasks import acknowledge, notify_staff

    filed = 0
    pending = ContactMessage.objects.filter(filed_at__isnull=True).order_by("received_at")
    for message_id in list(pending.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            message = (
                ContactMessage.objects.select_for_update()
                .filter(pk=message_id, filed_at__isnull=True)
                .first()
            )
            if message is None:
                continue
            person, _created = vault.get_or_create_person(
                message.email, actor=Actor.system(), reason=ACTIVITY
            )
            message.person, message.email, message.filed_at = person, "", clock.now()
            message.save(update_fields=["person", "email", "filed_at"])
            vault.touch(person, ACTIVITY, message.received_at)
            newsletter.touch_if_subscribed(person, message.received_at)
            record(
                actor=Actor.subject(str(person.pk)),
                action="create",
                target_type=ContactMessage._meta.label_lower,
                target_ref=str(message.pk),
                reason=ACTIVITY,
            )
            enqueue(notify_staff, person.pk, message.pk)
            if settings.GARDIEN_CONTACT_ACKNOWLEDGE:
                enqueue(acknowledge, person.pk, message.pk)
        filed += 1
    return filed


def file_received_job() -> None:
    """The worker's periodic job (see ContactConfig.ready): file until none is left."""
    while file_received():
        pass


def counts() -> dict[str, int]:
    """How many messages arrived in the last RECENT_DAYS days, and how many wait for an
    answer: numbers only, for the back office's dashboard."""
    since = clock.now() - dt.timedelta(days=RECENT_DAYS)
    return {
        "recent_days": RECENT_DAYS,
        "received": ContactMessage.objects.filter(received_at__gte=since).count(),
        "unanswered": ContactMessage.objects.filter(answered_at__isnull=True).count(),
    }


def answers_of(message: ContactMessage) -> dict[str, str]:
    """The message's answers, keyed by declared field name, the email address included."""
    stored: dict[str, str] = json.loads(message.answers or "{}")
    return stored


def labelled_answers(message: ContactMessage, lang: str) -> list[tuple[str, str]]:
    """(label, value) of each answer in the order of the version it was sent under; choices
    by their label. A field no longer declared keeps its name as label."""
    stored = answers_of(message)
    version = policy.version(message.policy_version)
    rows: list[tuple[str, str]] = []
    activity = version.manifest.activity(ACTIVITY) if version else None
    email_name = declared_forms.email_field(activity) if activity else None
    for declared in declared_forms.collected(activity) if activity else []:
        if declared.name == email_name:
            address = message.person.email if message.person is not None else message.email
            rows.append((declared.label.get(lang), address))
            continue
        value = stored.pop(declared.name, "")
        labels = {c.value: c.label.get(lang) for c in declared.choices or []}
        rows.append((declared.label.get(lang), labels.get(value, value)))
    rows += list(stored.items())
    return rows
