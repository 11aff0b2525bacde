"""The DPO finds a person by exact email; every look at a person's data is audited."""

from __future__ import annotations

import logging

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor
from gardien.vault.services import get_or_create_person
from tests.backoffice.helpers import verified_client

SEARCH = "/admin/vault/person/search/"


def test_the_dpo_finds_a_person_by_any_spelling_of_the_email(make_account):
    person, _ = get_or_create_person("zoe@example.org", actor=Actor.system())
    get_or_create_person("other@example.org", actor=Actor.system())
    dpo = verified_client(make_account("dpo-p", "dpo"))
    listing = dpo.get("/admin/vault/person/")
    assert 'method="post" action="/admin/vault/person/search/"' in listing.text
    response = dpo.post(SEARCH, {"email": "  ZOE@example.org "})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/vault/person/{person.pk}/change/"


def test_a_search_is_audited_with_the_email_as_a_keyed_hash(make_account, caplog):
    get_or_create_person("zoe@example.org", actor=Actor.system())
    account = make_account("dpo-s", "dpo")
    dpo = verified_client(account)
    with caplog.at_level(logging.DEBUG):
        found = dpo.post(SEARCH, {"email": "Zoe@example.org"}, follow=True)
        missing = dpo.post(SEARCH, {"email": "nobody@example.org"})
    assert "Nobody has this email address in Gardien." in missing.text
    first, second = AuditEntry.objects.filter(action="search").order_by("position")
    assert (first.actor_kind, first.actor_ref) == ("staff", str(account.user.pk))
    assert first.target_type == "vault.person" and first.reason == "found 1"
    assert second.reason == "found 0"
    assert first.target_ref.startswith("email-") and first.target_ref != second.target_ref
    # The same email, however typed, gives the same reference; never the email itself.
    dpo.post(SEARCH, {"email": " ZOE@EXAMPLE.ORG"})
    third = AuditEntry.objects.filter(action="search").order_by("-position").first()
    assert third.target_ref == first.target_ref
    for entry in AuditEntry.objects.all():
        values = [entry.actor_ref, entry.target_ref, entry.reason]
        assert not any("zoe" in v.lower() or "nobody" in v for v in values)
    # No URL nor log line carries the email.
    urls = [url for url, _status in found.redirect_chain] + [found.request["PATH_INFO"]]
    assert not any("zoe" in url.lower() or "%40" in url for url in urls)
    assert "zoe" not in caplog.text.lower() and "nobody@" not in caplog.text


def test_a_search_in_the_url_is_never_run(make_account):
    get_or_create_person("zoe@example.org", actor=Actor.system())
    dpo = verified_client(make_account("dpo-q", "dpo"))
    response = dpo.get("/admin/vault/person/", {"q": "zoe@example.org"})
    assert response.status_code == 302 and response["Location"] == "/admin/vault/person/"
    assert dpo.get(SEARCH).status_code == 302  # the search answers a POST only
    assert not AuditEntry.objects.filter(action="search").exists()


def test_only_those_who_may_see_people_search(make_account):
    viewer = verified_client(make_account("viewer-s", "viewer"))
    assert viewer.post(SEARCH, {"email": "zoe@example.org"}).status_code == 403


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


def test_an_empty_search_says_so_and_is_not_audited(make_account):
    dpo = verified_client(make_account("dpo-e", "dpo"))
    response = dpo.post(SEARCH, {"email": "  "})
    assert response.status_code == 200
    assert 'id="person-search"' in response.text and "errorlist" in response.text
    assert not AuditEntry.objects.filter(action="search").exists()


def test_the_people_list_asks_the_database_a_fixed_number_of_times(make_account):
    """Whether each person is restricted is read in the list's own query, not once a row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gardien.audit.services import Actor
    from gardien.vault import services

    dpo = verified_client(make_account("dpo-list", "dpo"))

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert dpo.get("/admin/vault/person/").status_code == 200
        return len(seen.captured_queries)

    first, _ = services.get_or_create_person("one@example.org", actor=Actor.system())
    services.restrict(first, actor=Actor.system(), reason="test")
    queries_for_the_list()  # the session's first page writes what later ones do not
    few = queries_for_the_list()
    for n in range(10):
        services.get_or_create_person(f"p{n}@example.org", actor=Actor.system())
    page = dpo.get("/admin/vault/person/").text
    assert page.count("not restricted") == 10  # the ten new people; the first is restricted
    assert queries_for_the_list() == few
