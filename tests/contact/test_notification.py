"""Staff are told of each contact message by email, through a real SMTP server the test
starts: once, after an outage too, as plain text; the sender's acknowledgement when it is on;
and `gardien check` warns when nobody is told."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from gardien.contact import services, tasks
from gardien.contact.checks import check_notification
from gardien.contact.models import ContactMessage
from gardien.processors.models import OutboxItem
from gardien.processors.outbox import enqueue
from gardien.vault import services as vault
from tests.mailserver import MailServer, parsed, serving
from tests.testapp.models import RightsRequest, Subscription

NOTIFY = ["equipe@coopo.example", "dpo@coopo.example"]
SENDER = "camille.durand@example.org"
XSS = "<script>alert(1)</script>"
NOTIFY_TASK = "gardien.contact.tasks.notify_staff"
OBJECTION = (
    "You may object at any time to this processing, on grounds relating to your particular "
    "situation; we then stop unless we have compelling legitimate grounds."
)


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    settings.GARDIEN_CONTACT_NOTIFY = NOTIFY
    with serving(settings) as server:
        yield server


def body_of(message: EmailMessage) -> str:
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    return message.get_content().replace("\r\n", "\n")  # SMTP carries lines as CRLF


def test_the_worker_files_a_received_message_then_tells_the_staff(smtp, api, valid, run_worker, t0):
    assert api(valid()).status_code == 201
    assert smtp.received == []  # the request only keeps the message
    assert run_worker(t0) == "Ran 1 task: 1 done, 0 retried later, 0 dead."
    message = ContactMessage.objects.get()
    assert message.person == vault.find_person(SENDER) and message.filed_at is not None
    assert len(smtp.received) == 1
    assert run_worker(t0 + dt.timedelta(minutes=1)).startswith("Ran 0 tasks")


def test_the_staff_are_told_once_with_what_they_need_to_answer(
    smtp, api, valid, run_worker, t0, coopo_manifest
):
    response = api(valid())
    assert response.status_code == 201, response.content
    message = ContactMessage.objects.get()
    assert services.file_received() == 1  # what the worker's periodic job does
    # The same person in other activities: none of it belongs in this email.
    person = vault.find_person(SENDER)
    Subscription.objects.create(person=person, subscribed_at=timezone.now())
    RightsRequest.objects.create(
        person=person,
        postal_address="12 impasse des Secrets",
        request="Effacez tout ce que vous savez",
        received_at=timezone.now(),
    )

    assert run_worker(t0) == "Ran 1 task: 1 done, 0 retried later, 0 dead."

    assert len(smtp.received) == 1
    envelope = smtp.received[0]
    assert sorted(envelope.rcpt_tos) == sorted(NOTIFY)
    assert envelope.mail_from == django_settings.DEFAULT_FROM_EMAIL
    sent = smtp.emails()[0]
    assert [a.addr_spec for a in sent["To"].addresses] == NOTIFY
    assert [a.addr_spec for a in sent["Reply-To"].addresses] == [SENDER]
    assert message.reference in sent["Subject"]
    body = body_of(sent)
    for declared in coopo_manifest.activity("contact").fields:
        assert f"{declared.label.get('fr')}:" in body
    for answer in ("Durand", "Camille", SENDER, "Atelier du Lac", "pouvez-vous me rappeler ?"):
        assert answer in body
    assert "Salarié·e" in body and "employee" not in body  # a choice by its label
    link = f"{django_settings.SITE_URL}/admin/contact/contactmessage/{message.pk}/change/"
    assert link in body
    assert "Secrets" not in body and "Effacez" not in body

    message.refresh_from_db()
    assert message.notified_at is not None
    assert run_worker(t0 + dt.timedelta(hours=1)).startswith("Ran 0 tasks")
    # Delivered again (a worker lost after sending): the mark on the message stops it.
    enqueue(tasks.notify_staff, person.pk, message.pk)
    assert run_worker(t0 + dt.timedelta(hours=2)).startswith("Ran 1 task: 1 done")
    assert len(smtp.received) == 1


def test_an_smtp_outage_delays_the_email_and_loses_nothing(smtp, api, valid, run_worker, t0):
    smtp.stop()
    assert api(valid()).status_code == 201

    assert run_worker(t0) == "Ran 1 task: 0 done, 1 retried later, 0 dead."
    item = OutboxItem.objects.get(task_path=NOTIFY_TASK)
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 1)
    assert item.next_attempt_at == t0 + dt.timedelta(seconds=60)
    assert "ConnectionRefusedError" in item.last_error and "@" not in item.last_error
    assert ContactMessage.objects.get().notified_at is None

    smtp.start()
    assert run_worker(t0 + dt.timedelta(seconds=30)).startswith("Ran 0 tasks")  # not due yet
    assert smtp.received == []
    assert run_worker(t0 + dt.timedelta(seconds=61)).startswith("Ran 1 task: 1 done")
    assert len(smtp.received) == 1
    assert ContactMessage.objects.get().reference in smtp.emails()[0]["Subject"]
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.DONE, 2)

    assert run_worker(t0 + dt.timedelta(days=1)).startswith("Ran 0 tasks")
    assert len(smtp.received) == 1


def test_what_the_visitor_typed_arrives_as_plain_text(smtp, api, valid, run_worker, t0):
    assert api(valid(last_name=XSS, message=f"Bonjour {XSS}\nà bientôt")).status_code == 201
    run_worker(t0)

    (sent,) = smtp.emails()
    body = body_of(sent)
    assert body.count(XSS) == 2
    assert f"Bonjour {XSS}\nà bientôt" in body
    assert "&lt;" not in body and "&amp;" not in body
    assert b"text/html" not in smtp.received[0].original_content


def test_the_sender_gets_nothing_by_default(smtp, api, valid, run_worker, t0):
    assert api(valid()).status_code == 201
    assert run_worker(t0) == "Ran 1 task: 1 done, 0 retried later, 0 dead."
    assert [sorted(e.rcpt_tos) for e in smtp.received] == [sorted(NOTIFY)]
    assert not OutboxItem.objects.exclude(task_path=NOTIFY_TASK).exists()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_acknowledgement_does_not_repeat_the_message(
    smtp, settings, api, valid, run_worker, t0, lang
):
    settings.GARDIEN_CONTACT_ACKNOWLEDGE = True
    answers = valid(message="Un message très particulier", organization="Atelier Zèbre")
    assert api({**answers, "lang": lang}).status_code == 201
    message = ContactMessage.objects.get()

    assert run_worker(t0) == "Ran 2 tasks: 2 done, 0 retried later, 0 dead."

    to_sender = [e for e in smtp.received if e.rcpt_tos == [SENDER]]
    assert len(to_sender) == 1 and len(smtp.received) == 2
    sent = parsed(to_sender[0])
    body = body_of(sent)
    assert message.reference in body
    for answer in ("très particulier", "Atelier Zèbre", "Durand", "Camille"):
        assert answer not in body and answer not in sent["Subject"]
    with translation.override(lang):
        objection = gettext(OBJECTION)
    assert objection in body  # the Coopo contact form rests on legitimate interest
    assert f"{django_settings.SITE_URL}/{lang}/privacy/" in body

    message.refresh_from_db()
    assert message.acknowledged_at is not None
    enqueue(tasks.acknowledge, message.person_id, message.pk)
    assert run_worker(t0 + dt.timedelta(hours=1)).startswith("Ran 1 task: 1 done")
    assert len(smtp.received) == 2


def test_gardien_check_warns_when_nobody_is_told(settings, coopo_path, db):
    settings.GARDIEN_MANIFEST = coopo_path
    settings.GARDIEN_CONTACT_NOTIFY = []
    out, err = io.StringIO(), io.StringIO()
    call_command("check", lang="en", stdout=out, stderr=err)
    assert "(gardien.W201) Nobody is told by email of contact messages" in err.getvalue()
    assert "set GARDIEN_CONTACT_NOTIFY=" in err.getvalue()

    settings.GARDIEN_CONTACT_NOTIFY = ["equipe@coopo.example"]
    assert check_notification() == []


def test_gardien_check_says_nothing_without_a_contact_form(settings, edited_manifest):
    from gardien.policy.services import draft

    settings.GARDIEN_MANIFEST = edited_manifest(
        ('id = "contact"', 'id = "enquiries"'), ('offered_with = ["contact"]\n', "")
    )
    settings.GARDIEN_CONTACT_NOTIFY = []
    assert "contact" not in [a.id for a in draft().activities]
    assert check_notification() == []
