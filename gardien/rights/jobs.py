"""The worker's daily job for rights requests: the DPO's list of open requests by due date."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from gardien.lib import clock
from gardien.rights import services

#: How often the list goes: once a day (the worker's clock).
CHECK_EVERY = dt.timedelta(days=1)


def daily_list() -> EmailMessage | None:
    """The email listing open requests, overdue and due soon first; None when none is open
    or nobody is to receive it."""
    rows = services.queue()
    recipients = services.dpo_recipients()
    if not rows or not recipients:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            {
                "reference": q.request.reference,
                "due": formats.date_format(timezone.localtime(q.request.deadline), "DATE_FORMAT"),
                "overdue": q.overdue,
                "due_soon": q.due_soon,
                "state": q.request.get_state_display(),
                "rights": ", ".join(services.right_label(r) for r in q.request.rights),
            }
            for q in rows
        ]
        context = {
            "lines": lines,
            "overdue": sum(q.overdue for q in rows),
            "due_soon": sum(q.due_soon for q in rows),
            "link": settings.SITE_URL + reverse("admin:rights_rightsrequest_changelist"),
            "today": formats.date_format(timezone.localtime(clock.now()), "DATE_FORMAT"),
        }
        subject = render_to_string("rights/email/daily_subject.txt", context).strip()
        body = render_to_string("rights/email/daily.txt", context)
    return EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=recipients
    )


def send_daily_list_if_due() -> int:
    """Send the list (the periodic job); returns how many requests it named."""
    message = daily_list()
    if message is None:
        return 0
    message.send()
    return len(services.queue())
