from __future__ import annotations

import pytest

from gardien.audit.services import Actor
from gardien.vault.services import VaultError, find_person, get_or_create_person

SYSTEM = Actor.system()


@pytest.mark.parametrize(
    "spelling",
    ["alice@example.org", "Alice@Example.ORG", "  alice@example.org  ", "\talice@EXAMPLE.org\n"],
)
def test_it_finds_a_person_whatever_the_spelling(db, spelling):
    person, created = get_or_create_person("alice@example.org", actor=SYSTEM)
    assert created
    assert find_person(spelling) == person


def test_it_keeps_one_person_across_spellings(db):
    first, _ = get_or_create_person("Bob@Example.org", actor=SYSTEM)
    second, created = get_or_create_person(" bob@example.ORG ", actor=SYSTEM)
    assert not created
    assert first == second


def test_it_tells_people_apart(db):
    alice, _ = get_or_create_person("alice@example.org", actor=SYSTEM)
    bob, _ = get_or_create_person("bob@example.org", actor=SYSTEM)
    assert alice != bob
    assert find_person("carol@example.org") is None
    assert find_person("") is None


def test_it_indexes_with_a_keyed_hmac_not_a_plain_hash(db):
    person, _ = get_or_create_person("alice@example.org", actor=SYSTEM)
    import hashlib

    assert hashlib.sha256(b"alice@example.org").hexdigest() not in person.email_index


def test_it_refuses_what_is_not_an_email(db):
    with pytest.raises(VaultError):
        get_or_create_person("not an email", actor=SYSTEM)
