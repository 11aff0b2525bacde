"""The DPO finds a person by exact email; every look at a person's data is audited."""

from __future__ import annotations

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor
from gardien.vault.services import get_or_create_person
from tests.backoffice.helpers import verified_client


def test_the_dpo_finds_a_person_by_any_spelling_of_the_email(make_account):
    person, _ = get_or_create_person("zoe@example.org", actor=Actor.system())
    get_or_create_person("other@example.org", actor=Actor.system())
    dpo = verified_client(make_account("dpo-p", "dpo"))
    response = dpo.get("/admin/vault/person/", {"q": "  ZOE@example.org "})
    assert response.status_code == 200
    assert str(person.pk)[:8] in response.text
    assert "zoe@example.org" not in response.text  # the list shows no email


def test_looking_at_a_person_is_audited_without_personal_values(make_account):
    person, _ = get_or_create_person("zoe@example.org", actor=Actor.system())
    account = make_account("dpo-v", "dpo")
    dpo = verified_client(account)
    response = dpo.get(f"/admin/vault/person/{person.pk}/change/")
    assert response.status_code == 200
    assert "zoe@example.org" in response.text
    entry = AuditEntry.objects.filter(action="view").get()
    assert (entry.actor_kind, entry.actor_ref) == ("staff", str(account.user.pk))
    assert entry.target_ref == str(person.pk)
    assert "zoe" not in entry.reason


def test_the_person_page_offers_no_change_or_delete(make_account):
    person, _ = get_or_create_person("zoe@example.org", actor=Actor.system())
    dpo = verified_client(make_account("dpo-d", "dpo"))
    assert dpo.post(f"/admin/vault/person/{person.pk}/delete/").status_code == 403
    assert dpo.get("/admin/vault/person/add/").status_code == 403
