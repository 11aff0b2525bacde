"""`gardien newsletter reconcile` against the fake Brevo: differences are fixed in the safe
direction only, and nobody is ever subscribed again by it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from gardien.newsletter import services
from gardien.newsletter.models import ConsentProof, ProcessorSync, Subscription
from tests.english import english  # noqa: F401
from tests.fakes.brevo import DEFAULT_LIST_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def brevo(fake_brevo: Any, settings: Any) -> Any:
    for key, value in fake_brevo.settings.items():
        setattr(settings, key, value)
    settings.GARDIEN_BREVO_TIMEOUT = 0.5
    return fake_brevo


def subscribe(address: str) -> None:
    found = services.setup()
    pending = services.keep(found, address, "fr", "page")
    services.file_signups()
    pending.refresh_from_db()
    assert services.confirm(services.new_confirmation_token(pending)) is not None


def reconcile(*args: str) -> str:
    out = io.StringIO()
    call_command("newsletter", "reconcile", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_it_fixes_each_difference_in_the_safe_direction(published, brevo, run_worker, t0):
    for address in ("kept@example.org", "left@example.org", "unknown@example.org"):
        subscribe(address)
    run_worker(t0)  # Brevo now holds the three
    brevo.contacts.pop("unknown@example.org")  # deleted by hand in Brevo: unknown there
    brevo.add_contact("left@example.org", [DEFAULT_LIST_ID], blocklisted=True)  # left in Brevo
    brevo.add_contact("imported@example.org", [DEFAULT_LIST_ID])  # added by hand in Brevo
    dry = reconcile("--dry-run")
    assert "Would fix: 1 removed from Brevo, 1 unsubscribed in Gardien" in dry
    assert "1 subscribers unknown to Brevo were left alone" in dry
    assert Subscription.objects.count() == 3 and ProcessorSync.objects.count() == 0
    done = reconcile()
    assert done.startswith("Compared 4 addresses. Fixed: 1 removed from Brevo, 1 unsubscribed")
    assert Subscription.objects.count() == 2  # kept and unknown stay subscribed
    assert ConsentProof.objects.get(withdrawn_at__isnull=False).withdrawn_how == "left at Brevo"
    run_worker(t0)
    assert "imported@example.org" not in brevo.contacts
    assert "unknown@example.org" not in brevo.contacts  # never re-subscribed by reconcile
    assert brevo.members() == {"kept@example.org"}
    assert "Fixed: 0 removed from Brevo, 0 unsubscribed" in reconcile()


def test_brevo_unreachable_or_off_gets_a_sentence(published, brevo, settings):
    brevo.down()
    with pytest.raises(CommandError, match="could not be read"):
        reconcile()
    brevo.up()
    settings.GARDIEN_BREVO_API_KEY = ""
    with pytest.raises(CommandError, match="Brevo is off"):
        reconcile()
