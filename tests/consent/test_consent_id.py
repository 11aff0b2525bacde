"""Consent ids: never read as a command-line option, and the old ones still accepted."""

from __future__ import annotations

from gardien.consent.models import CONSENT_ID_LENGTH, LEGACY_CONSENT_ID_LENGTH, ConsentRecord
from gardien.consent.services import CONSENT_ID, new_consent_id, signed_consent_id
from gardien.lib import clock


def test_no_new_id_starts_with_a_dash_or_an_underscore():
    # With the first character uniform over 64, about 78 of 5,000 would start with "-".
    ids = [new_consent_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(i[0].isascii() and i[0].isalnum() for i in ids)
    assert all(len(i) == CONSENT_ID_LENGTH and CONSENT_ID.fullmatch(i) for i in ids)
    assert all(signed_consent_id(i) for i in ids)
    assert len(set(ids)) == len(ids)
    # Still the whole URL-safe alphabet after the first character, and no padding.
    assert {"-", "_"} <= set("".join(i[1:] for i in ids))
    assert not any("=" in i for i in ids)


def test_the_api_hands_out_such_ids(choice, post_choice):
    for _ in range(20):
        response = post_choice(choice())
        assert response.status_code == 201, response.content
        assert response.json()["consent_id"][0].isalnum()


def test_an_earlier_id_starting_with_a_dash_is_still_accepted(choice, post_choice):
    earlier = "-" + "A" * (LEGACY_CONSENT_ID_LENGTH - 1)
    first = choice()
    ConsentRecord.objects.create(
        consent_id=earlier,
        recorded_at=clock.now(),
        action="custom",
        decisions=first["decisions"],
        policy_version=first["version"],
        config_hash=first["config_hash"],
        lang="fr",
    )
    response = post_choice(choice(consent_id=earlier))
    assert response.status_code == 201, response.content
    assert response.json()["consent_id"] == earlier
    assert ConsentRecord.objects.filter(consent_id=earlier).count() == 2
