"""A substantial change (a purpose, a legal basis, a recipient, a retention period, a
processing added or removed) is shown on the policy page, dated, for 30 days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gardien.lib import clock
from gardien.policy import services as policy
from gardien.policy.changes import NOTICE_DAYS, substantial

pytestmark = pytest.mark.django_db


def test_the_changes_are_named_one_by_one(coopo_manifest, edited_manifest):
    from gardien.manifest import load_path

    changed = load_path(
        edited_manifest(
            (
                'retention = "until consent withdrawn or 3 years after last_contact"',
                'retention = "until consent withdrawn or 2 years after last_contact"',
            ),
            (
                'recipients = ["brevo", "gardien-host", "mail-relay"]',
                'recipients = ["brevo", "gardien-host", "mail-relay", "google"]',
            ),
        )
    )
    lines = substantial(coopo_manifest, changed, "en")
    assert any("now kept" in line and "2 years" in line for line in lines)
    assert any("new recipient Google Workspace" in line for line in lines)
    assert substantial(coopo_manifest, coopo_manifest, "en") == []


def test_the_policy_page_shows_them_for_thirty_days(published, edited_manifest, settings):
    assert "What changed on" not in Client().get("/en/privacy/").text
    path = edited_manifest(
        (
            'retention = "until consent withdrawn or 3 years after last_contact"',
            'retention = "until consent withdrawn or 2 years after last_contact"',
        )
    )
    settings.GARDIEN_MANIFEST = path
    version = policy.publish(path)
    page = Client().get("/en/privacy/").text
    assert "What changed on" in page and "now kept" in page
    assert "?from=1&amp;to=2" in page
    settings.GARDIEN_NOW = (version.published_at + dt.timedelta(days=NOTICE_DAYS + 1)).isoformat()
    assert clock.now() > version.published_at
    assert "What changed on" not in Client().get("/en/privacy/").text


def test_a_new_purpose_is_a_substantial_change(published, edited_manifest, settings):
    path = edited_manifest(("Coopo's newsletter and communications", "Coopo's newsletter and news"))
    settings.GARDIEN_MANIFEST = path
    policy.publish(path)
    page = Client().get("/en/privacy/").text
    assert "What changed on" in page and "its purpose changed" in page


def test_a_small_publication_after_a_substantial_one_does_not_hide_it(
    published, edited_manifest, settings
):
    substantial_change = (
        'retention = "until consent withdrawn or 3 years after last_contact"',
        'retention = "until consent withdrawn or 2 years after last_contact"',
    )
    first = edited_manifest(substantial_change)
    settings.GARDIEN_MANIFEST = first
    policy.publish(first)
    second = edited_manifest(
        substantial_change, ("Cette politique de protection", "Cette politique-ci de protection")
    )
    settings.GARDIEN_MANIFEST = second
    policy.publish(second, note="typo")
    page = Client().get("/en/privacy/").text
    assert "What changed on" in page and "now kept" in page and "?from=1&amp;to=3" in page
