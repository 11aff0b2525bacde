"""The newsletter's effects, sent through the outbox (gardien.processors.outbox): the
confirmation and welcome emails, and keeping the processor's copy of the list (Brevo).

Each is enqueued in the transaction of the change that causes it, carries ids only, and
reads what it needs when it runs: an SMTP or processor outage delays it, never loses it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation

from gardien.lib import clock
from gardien.newsletter import mail, services
from gardien.newsletter.models import (
    ACTIVITY,
    PendingSignup,
    ProcessorSync,
    Subscription,
)
from gardien.processors.outbox import outbox_task
from gardien.vault.services import find_person, is_restricted


@outbox_task()
def send_confirmation(pending_id: uuid.UUID) -> None:
    """The double opt-in email: one link to confirm, one to cancel (List-Unsubscribe)."""
    pending = PendingSignup.objects.filter(pk=pending_id, expires_at__gt=clock.now()).first()
    found = services.setup()
    if pending is None or found is None:
        return  # confirmed, cancelled or expired since: nothing to send
    with transaction.atomic():
        token = services.new_confirmation_token(pending)
    with translation.override(pending.lang):
        expires = formats.date_format(timezone.localtime(pending.expires_at), "DATETIME_FORMAT")
    letter = mail.letter(
        found.manifest,
        pending.lang,
        "confirm",
        {"confirm_url": mail.confirm_url(token, pending.lang), "expires": expires},
    )
    letter.to(
        pending.email,
        services.unsubscribe_token(pending),
        mail.message_id("confirm", f"{pending.pk}.{(pending.token_sha256 or '')[:12]}"),
    ).send()


@outbox_task(activity=ACTIVITY)
def send_welcome(person_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
    """The welcome email, right after the confirmation: what is kept, and how to leave."""
    subscription = Subscription.objects.select_related("person").filter(pk=subscription_id).first()
    found = services.setup()
    if subscription is None or found is None:
        return  # unsubscribed since
    retention = found.activity.retention_why
    letter = mail.letter(
        found.manifest,
        subscription.lang,
        "welcome",
        {"retention": retention.get(subscription.lang) if retention else ""},
    )
    letter.to(
        subscription.person.email,
        services.unsubscribe_token(subscription),
        mail.message_id("welcome", subscription.pk),
    ).send()


@outbox_task(max_attempts=12)
def sync_processor(sync_id: uuid.UUID) -> None:
    """Make the processor hold what ProcessorSync asks for, then forget the row.

    The latest wish is applied, whatever order the attempts run in; after each call the row
    is read again, and applied again if it changed meanwhile. If another attempt (another
    worker) applied a later wish and forgot the row while this call was on its way, this
    call may have reached the processor last: see _overtaken. A restricted subscriber is not
    sent (the row waits until the restriction is lifted); a removal always goes.
    """
    from gardien.processors import brevo

    row = ProcessorSync.objects.filter(pk=sync_id).first()
    while row is not None:
        found = services.setup()
        if found is None or found.section.processor != row.processor:
            return
        subscribe = row.wanted == ProcessorSync.Wanted.SUBSCRIBED
        if subscribe and row.person_id is not None and is_restricted(row.person_id, ACTIVITY):
            return
        client = brevo.BrevoClient.from_settings()
        if client is None:
            return  # switched off since: the row waits for it to be switched on again
        with client:
            _apply(client, row, found.section.at_processor_on_withdrawal)
        applied = row.version
        with transaction.atomic():
            done = ProcessorSync.objects.filter(pk=row.pk, version=applied).delete()[0]
        if done:
            return
        latest = ProcessorSync.objects.filter(pk=sync_id).first()
        if latest is None:
            _overtaken(row)
        row = latest


def _overtaken(row: ProcessorSync) -> None:
    """``row``'s wish was applied, but another attempt applied a later one and forgot the row
    while this call was on its way: the processor may have received this call after the
    other. When what was applied is no longer what Gardien holds (a subscriber or not), the
    wish is made again, so a new attempt, which starts after this call was answered, applies
    it last."""
    person = find_person(row.email)
    subscribed = person is not None and Subscription.objects.filter(person=person).exists()
    wanted = ProcessorSync.Wanted.SUBSCRIBED if subscribed else ProcessorSync.Wanted.ABSENT
    if wanted != row.wanted:
        services.want(row.email, wanted, person=person if subscribed else None)


def _apply(client: Any, row: ProcessorSync, on_withdrawal: str) -> None:
    list_id = settings.GARDIEN_BREVO_LIST_ID
    if row.wanted == ProcessorSync.Wanted.SUBSCRIBED:
        if row.previous_email:
            client.change_email(row.previous_email, row.email)
        client.subscribe(row.email, list_id)
    elif on_withdrawal == "blocklist":
        client.unsubscribe(row.email, list_id)
        client.blocklist(row.email)
    else:
        client.delete(row.email)
