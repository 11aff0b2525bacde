"""Sending a newsletter and the notice of a policy change with `gardien newsletter`: every
confirmed, unrestricted subscriber once, with the list headers; resumed after an outage
without sending anyone twice; the counts and the proof printed for the DPO."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from gardien.audit.services import Actor
from gardien.newsletter import services
from gardien.newsletter.models import Campaign, ConsentProof, Delivery, Subscription
from gardien.policy import services as policy
from gardien.vault import services as vault
from tests.english import english  # noqa: F401
from tests.newsletter.conftest import text_of

pytestmark = pytest.mark.django_db


def subscribe_many(count: int, published) -> list[str]:
    """``count`` confirmed subscribers, confirmed through the service the link's POST calls."""
    found = services.setup()
    addresses = [f"reader{i}@example.org" for i in range(count)]
    for address in addresses:
        pending = services.keep(found, address, "fr" if len(address) % 2 else "en", "page")
        services.file_signups()
        pending.refresh_from_db()
        token = services.new_confirmation_token(pending)
        assert services.confirm(token) is not None
    return addresses


def newsletter(*args: str) -> str:
    out = io.StringIO()
    call_command("newsletter", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def body(tmp_path):
    path = tmp_path / "lettre.md"
    path.write_text(
        "# Nouvelles de Coopo\n\nBonjour, voici **nos nouvelles** et [notre site](https://coopo.fr).\n\n- un\n- deux\n",
        encoding="utf-8",
    )
    return path


def test_a_campaign_reaches_every_subscriber_once_with_the_headers(published, smtp, body):
    addresses = subscribe_many(5, published)
    before = len(smtp.received)
    output = newsletter("send", "--subject", "Nouvelles", "--body", str(body))
    assert output.strip().splitlines()[-1] == "Sent to 5 subscribers."
    emails = smtp.emails()[before:]
    assert sorted(m["To"] for m in emails) == sorted(addresses)
    for message in emails:
        assert message["Subject"] == "Nouvelles"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Unsubscribe"].startswith(
            "<https://gardien.coopo.example/newsletter/unsubscribe/"
        )
        text = text_of(message)
        assert "nos nouvelles" in text and "notre site (https://coopo.fr)" in text
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "<strong>nos nouvelles</strong>" in html and "<li>un</li>" in html
    for envelope in smtp.received[before:]:  # RFC 2369/8058: the header as written, unfolded
        assert re.search(
            rb"\r\nList-Unsubscribe: <https://gardien\.coopo\.example/newsletter/unsubscribe/"
            rb"s[A-Za-z0-9_-]{43}>\r\n",
            envelope.original_content,
        )
        assert b"List-Unsubscribe: =?" not in envelope.original_content
    with pytest.raises(CommandError, match="already sent"):
        newsletter("send", "--subject", "Nouvelles", "--body", str(body))


def test_restricted_and_unsubscribed_people_are_not_sent(published, smtp, body):
    addresses = subscribe_many(3, published)
    vault.restrict(
        vault.find_person(addresses[0]), actor=Actor.system(), reason="t", activity="newsletter"
    )
    services.withdraw(vault.find_person(addresses[1]), how="staff", actor=Actor.system())
    before = len(smtp.received)
    assert "Sent to 1 subscribers." in newsletter("send", "--subject", "S", "--body", str(body))
    assert [m["To"] for m in smtp.emails()[before:]] == [addresses[2]]
    assert services.audience() == {"pending": 0, "confirmed": 2, "unsubscribed": 1, "restricted": 1}


def test_a_sending_stopped_by_an_outage_resumes_without_duplicates(
    published, smtp, body, monkeypatch
):
    subscribe_many(6, published)
    before = len(smtp.received)
    from gardien.newsletter import campaigns

    calls = {"n": 0}

    def progress_then_fail(done, total):
        calls["n"] += 1
        if calls["n"] == 3:
            smtp.stop()  # the mail server goes away after the third message

    monkeypatch.setattr(
        "gardien.newsletter.management.commands.newsletter.Progress",
        lambda *a, **k: _Bar(progress_then_fail),
    )
    with pytest.raises(CommandError, match="run the same command"):
        newsletter("send", "--subject", "S", "--body", str(body))
    smtp.start()
    monkeypatch.undo()
    output = newsletter("send", "--subject", "S", "--body", str(body))
    assert "Resuming" in output and "Sent to 3 subscribers (6 in all" in output
    sent = Counter(m["To"] for m in smtp.emails()[before:])
    assert len(sent) == 6 and set(sent.values()) == {1}
    assert Delivery.objects.filter(sent_at__isnull=True).count() == 0
    assert campaigns.BATCH > 6  # one batch: the outage really stopped it half way


class _Bar:
    def __init__(self, callback):
        self.callback = callback

    def __call__(self, done, total):
        self.callback(done, total)

    def end(self):
        pass


def test_show_prints_the_proof_and_audience_the_counts(published, smtp):
    [address] = subscribe_many(1, published)
    shown = newsletter("show", address.upper())
    assert "Subscribed since" in shown and "statement SHA-256" in shown and "source: page" in shown
    services.withdraw(vault.find_person(address), how="staff", actor=Actor.system())
    shown = newsletter("show", address)
    assert "Not subscribed." in shown and "withdrawn" in shown and "(staff)" in shown
    assert ConsentProof.objects.get().person is None
    assert "Subscribed: 0" in newsletter("audience")
    assert "Nothing about this address" in newsletter("show", "nobody@example.org")


def test_bad_input_gets_a_sentence(published, tmp_path):
    missing = tmp_path / "nope.md"
    with pytest.raises(CommandError, match="Cannot read"):
        newsletter("send", "--subject", "S", "--body", str(missing))
    empty = tmp_path / "empty.md"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 to"):
        newsletter("send", "--subject", "S", "--body", str(empty))
    with pytest.raises(CommandError, match="subject"):
        newsletter("send", "--subject", " ", "--body", str(empty))
    with pytest.raises(CommandError, match="not subscribed"):
        newsletter("replied", "nobody@example.org")


def test_a_policy_change_is_shown_then_sent_to_subscribers(
    published, smtp, edited_manifest, settings
):
    subscribe_many(2, published)
    assert "nothing to tell" in newsletter("notify-policy-change")
    path = edited_manifest(
        (
            'retention = "until consent withdrawn or 3 years after last_contact"',
            'retention = "until consent withdrawn or 2 years after last_contact"',
        )
    )
    settings.GARDIEN_MANIFEST = path
    assert policy.publish(path) is not None
    shown = newsletter("notify-policy-change")
    assert "would go to 2 subscribers" in shown and "2 years" in shown
    before = len(smtp.received)
    assert "Sent to 2 subscribers." in newsletter("notify-policy-change", "--send")
    [first, _second] = smtp.emails()[before:]
    assert "2 years" in text_of(first) or "2 ans" in text_of(first)
    assert Campaign.objects.get(kind="policy_change").policy_version == 2
    assert Subscription.objects.count() == 2
