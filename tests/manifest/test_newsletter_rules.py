"""The [newsletter] section: what it must agree with, each mistake named in one sentence."""

from __future__ import annotations

import pytest

from gardien.manifest import ManifestError, load_path


def problems_of(path) -> str:
    with pytest.raises(ManifestError) as caught:
        load_path(path)
    return "\n".join(caught.value.lines())


def test_the_coopo_section_loads(coopo_manifest):
    section = coopo_manifest.newsletter
    assert section is not None and section.processor == "brevo"
    assert section.offered_with == ["contact"] and section.at_processor_on_withdrawal == "delete"
    assert section.consent.fr.startswith("J'accepte")


def test_the_newsletter_activity_must_be_declared(edited_manifest):
    path = edited_manifest(('id = "newsletter"\nname =', 'id = "lettre"\nname ='))
    assert 'activity with id = "newsletter", which is not declared' in problems_of(path)


def test_it_asks_for_the_email_only(edited_manifest):
    path = edited_manifest(
        (
            '  if_missing = { fr = "Nous ne pouvons pas vous inscrire à la lettre d\'information.", en = "We cannot subscribe you to the newsletter." }\n',
            '  if_missing = { fr = "Nous ne pouvons pas vous inscrire à la lettre d\'information.", en = "We cannot subscribe you to the newsletter." }\n\n'
            '  [[activities.fields]]\n  name = "first_name"\n  label = { fr = "Prénom", en = "First name" }\n'
            '  categories = ["user.name.first"]\n  required = false\n',
        )
    )
    assert "must collect exactly one field" in problems_of(path)


def test_the_confirmation_period_must_be_declared(edited_manifest):
    path = edited_manifest(('id = "pending_signup"', 'id = "unconfirmed"'))
    text = problems_of(path)
    assert "pending signup records" in text and "7 days after created" in text


def test_the_processor_must_be_a_recipient_and_offers_real_activities(edited_manifest):
    path = edited_manifest(
        ('processor = "brevo"\nat_processor', 'processor = "google"\nat_processor'),
        ('offered_with = ["contact"]', 'offered_with = ["shop"]'),
    )
    text = problems_of(path)
    assert 'processor "google" is not one of activity "newsletter"\'s recipients' in text
    assert '"shop" is not another declared activity' in text


def test_withdrawal_at_the_processor_is_delete_or_blocklist(edited_manifest):
    path = edited_manifest(
        ('at_processor_on_withdrawal = "delete"', 'at_processor_on_withdrawal = "keep"')
    )
    assert "at_processor_on_withdrawal" in problems_of(path)
