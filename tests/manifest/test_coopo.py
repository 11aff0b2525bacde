"""The example manifest: Coopo's privacy policy, as the rest of Gardien will read it."""

from __future__ import annotations

import pytest

from gardien.manifest import content_hash, load_path, load_text
from gardien.manifest.retention import parse_duration
from gardien.manifest.schema import CONSENT_MAX_LIFETIME


@pytest.fixture(scope="module")
def coopo(coopo_path):
    return load_path(coopo_path)


def test_it_loads_without_any_problem(coopo):
    assert coopo.controller.name == "Coopo"


def test_it_declares_the_seven_activities(coopo):
    assert [a.id for a in coopo.activities] == [
        "contact",
        "newsletter",
        "consent",
        "audience",
        "brevo_tracking",
        "rights",
        "security",
    ]


def test_it_asks_the_contact_form_for_exactly_six_fields_in_order(coopo):
    assert [f.name for f in coopo.activity("contact").fields] == [
        "last_name",
        "first_name",
        "status",
        "email",
        "organization",
        "message",
    ]


def test_it_asks_the_newsletter_only_for_an_email(coopo):
    assert [f.name for f in coopo.activity("newsletter").fields] == ["email"]


def test_it_locates_the_controller_in_laval_en_belledonne(coopo):
    assert "Laval-en-Belledonne" in coopo.controller.address


def test_it_keeps_contact_messages_three_years_after_the_last_contact(coopo):
    assert str(coopo.activity("contact").retention) == "3 years after last_contact"


def test_it_keeps_subscribers_until_withdrawal_or_three_years_after_the_last_contact(coopo):
    rule = coopo.activity("newsletter").retention

    assert rule.text == "until consent withdrawn or 3 years after last_contact"
    assert coopo.activity("newsletter").legal_basis == "consent"


def test_it_remembers_a_cookie_choice_twelve_months(coopo):
    assert coopo.cookies.choice_lifetime == parse_duration("12 months")


def test_it_lets_no_cookie_under_consent_live_more_than_thirteen_months(coopo):
    consent = {p.id: p.consent for p in coopo.cookies.purposes}
    lifetimes = {
        item.name: item.lifetime
        for service in coopo.cookies.services
        if consent[service.purpose] in ("required", "exempt_with_opt_out")
        for item in service.cookies
    }

    assert set(lifetimes) == {"gardien_vid", "sib_cuid", "uuid"}
    assert all(d.days <= CONSENT_MAX_LIFETIME.days for d in lifetimes.values())
    assert max(lifetimes.values(), key=lambda d: d.days) == CONSENT_MAX_LIFETIME


def test_it_names_the_processors_of_the_original_policy(coopo):
    assert {p.id for p in coopo.processors} >= {
        "brevo",
        "google",
        "framer",
        "gardien-host",
        "mail-relay",
    }


def test_it_keeps_every_processor_inside_the_eea(coopo):
    assert {p.id: p.outside_eea for p in coopo.processors} == {
        "brevo": [],
        "google": [],
        "framer": [],
        "gardien-host": [],
        "mail-relay": [],
    }


def test_it_declares_its_own_data_categories(coopo):
    assert coopo.category_name("user.workplace.status", "en") == "Professional status"
    assert coopo.activity("contact").field("status").categories == ["user.workplace.status"]


def test_it_hashes_the_same_manifest_the_same_way(coopo, coopo_text):
    assert content_hash(coopo) == content_hash(load_text(coopo_text))
    assert len(content_hash(coopo)) == 64


def test_it_changes_the_hash_when_a_text_changes(coopo, coopo_text):
    edited = coopo_text.replace(
        'en = "To answer your contact request, and for nothing else."',
        'en = "To answer your contact request."',
    )
    assert edited != coopo_text

    assert content_hash(load_text(edited)) != content_hash(coopo)


def test_it_changes_the_hash_when_a_retention_changes(coopo, coopo_text):
    edited = coopo_text.replace(
        'retention = "3 years after last_contact"', 'retention = "2 years after last_contact"'
    )
    assert edited != coopo_text

    assert content_hash(load_text(edited)) != content_hash(coopo)


def test_it_keeps_the_hash_when_only_comments_and_spacing_change(coopo, coopo_text):
    edited = (
        "# Edited by the DPO on a Monday.\n\n"
        + coopo_text.replace(
            "# Categories the fideslang taxonomy does not have.",
            "# Categories missing from fideslang.\n# (Second comment line.)",
        )
        .replace('name = "Coopo"\n', 'name   =   "Coopo"   # the cooperative\n')
        .replace("  [[activities.fields]]\n", "\n[[activities.fields]]\n")
        .replace(
            'retention = "3 years after last_contact"', 'retention = "3  years  after last_contact"'
        )
        + "\n\n# The end.\n"
    )
    assert edited != coopo_text

    assert content_hash(load_text(edited)) == content_hash(coopo)


def test_it_keeps_the_hash_when_keys_are_reordered(coopo, coopo_text):
    edited = coopo_text.replace(
        'name = "Coopo"\naddress = "153 chemin du ruisseau, 38190 Laval-en-Belledonne, France"\n',
        'address = "153 chemin du ruisseau, 38190 Laval-en-Belledonne, France"\nname = "Coopo"\n',
    )
    assert edited != coopo_text

    assert content_hash(load_text(edited)) == content_hash(coopo)
