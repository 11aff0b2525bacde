"""Emails about contact messages, sent through the outbox (gardien.processors.outbox).

Each task is enqueued in the transaction that stores the message, so an SMTP outage delays
the email and never loses it. A sent email is marked on the message before the task ends,
and a task that finds it marked does nothing: an email is sent once, unless the worker dies
between the SMTP server's acceptance and that mark (then it goes twice, with the same
Message-ID, which mail clients show once).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from gardien.contact import notice, services
from gardien.contact.models import ACTIVITY, ContactMessage
from gardien.lib import clock
from gardien.processors.outbox import outbox_task


def _message_id(message: ContactMessage, kind: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "gardien.invalid"
    return f"<{kind}.{message.pk}@{domain}>"


@outbox_task(activity=ACTIVITY)
def notify_staff(person_id: uuid.UUID, message_id: uuid.UUID) -> None:
    """Tell the staff (GARDIEN_CONTACT_NOTIFY) that a message arrived, with what they need to
    answer it and a link to it in the back office."""
    recipients = list(settings.GARDIEN_CONTACT_NOTIFY)
    message = ContactMessage.objects.select_related("person").filter(pk=message_id).first()
    if (
        message is None
        or message.person is None
        or message.notified_at is not None
        or not recipients
    ):
        return  # erased since, already sent, or nobody to tell: the back office shows it
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "message": message,
            "answers": services.labelled_answers(message, settings.LANGUAGE_CODE),
            "link": settings.SITE_URL
            + reverse("admin:contact_contactmessage_change", args=[message.pk]),
        }
        subject = render_to_string("contact/email/notify_subject.txt", context).strip()
        body = render_to_string("contact/email/notify.txt", context)
    email = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[message.person.email],
        headers={"Message-ID": _message_id(message, "contact")},
    )
    email.send()
    with transaction.atomic():
        ContactMessage.objects.filter(pk=message.pk).update(notified_at=clock.now())


@outbox_task(activity=ACTIVITY)
def acknowledge(person_id: uuid.UUID, message_id: uuid.UUID) -> None:
    """Tell the sender their message arrived, without repeating it (GARDIEN_CONTACT_ACKNOWLEDGE)."""
    message = ContactMessage.objects.select_related("person").filter(pk=message_id).first()
    if message is None or message.person is None or message.acknowledged_at is not None:
        return  # erased since, or already sent
    with translation.override(message.lang):
        context = {**notice.acknowledgement_context(message), "site_url": settings.SITE_URL}
        subject = render_to_string("contact/email/acknowledge_subject.txt", context).strip()
        body = render_to_string("contact/email/acknowledge.txt", context)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.person.email],
        headers={"Message-ID": _message_id(message, "acknowledgement")},
    ).send()
    with transaction.atomic():
        ContactMessage.objects.filter(pk=message.pk).update(acknowledged_at=clock.now())
