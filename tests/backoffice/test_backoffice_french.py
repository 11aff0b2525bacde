"""Every back-office page in French, as each role reads it: no English word of Django's admin
vocabulary ("Add", "Change", "Delete", "Search", "Filter", "Save", "History", nor the "True" /
"False" a screen reader says for Django's tick icons, nor "403 Forbidden") is left in the visible text of any list,
change page or Gardien page an account may open; the roles are named in French, the messages
after an action too, and the policy's pages carry their breadcrumbs and dated versions.

The pages are found, not listed: every model the back office registers (its list, the page of
one row, its add page) and every page without a parameter in the admin's URLs (Gardien's own
pages, the statistics, the publish page…). A page added later is walked too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, reverse
from django.utils import translation

from gardien.backoffice import accounts
from gardien.contact.models import ContactMessage
from gardien.lib import clock
from gardien.newsletter.models import Campaign, ProcessorSync
from gardien.retention import engine
from tests.backoffice.helpers import PASSWORD, Account, otp_session_client, verified_client
from tests.backoffice.seed import seed

#: English words of an admin's vocabulary that a French page must not show.
ENGLISH = (
    *("Add", "Change", "Delete", "Search", "Filter", "Save", "History"),
    *("True", "False", "Forbidden"),
)
_ENGLISH = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b")
# Pages left out of the walk: leaving the session, and the downloads (files, not pages).
SKIPPED = ("logout", "download", "jsi18n", "autocomplete")


class _Visible(HTMLParser):
    """The text a person reads or hears: text outside scripts and styles, and the labels of
    buttons, fields and images (``value`` of a button, ``placeholder``, ``aria-label``,
    ``title``, ``alt``)."""

    SPOKEN = ("placeholder", "aria-label", "title", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        for name in self.SPOKEN:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            self.parts.append(str(values.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_in(html: str) -> list[str]:
    """The English words of :data:`ENGLISH` in the page's visible text, each with its context."""
    text = visible_text(html)
    return [text[max(0, m.start() - 40) : m.end() + 40] for m in _ENGLISH.finditer(text)]


def _plain_admin_urls() -> list[str]:
    """The admin's URLs without a parameter (index, Gardien's pages, the models' lists)."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if not pattern.pattern.converters:
                    walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            name = pattern.name or ""
            if pattern.pattern.converters or any(word in name for word in SKIPPED):
                continue
            try:
                found.append(reverse(f"admin:{name}"))
            except NoReverseMatch:
                continue

    walk(admin.site.get_urls(), "")
    apps = {model._meta.app_label for model in admin.site._registry}
    found += [reverse("admin:app_list", args=[app]) for app in apps]
    return sorted(set(found))


def _row_urls() -> list[str]:
    """The page of the first row of every registered model (those with a row)."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        row = model._default_manager.order_by("pk").first()
        if row is None:
            continue
        opts = model_admin.opts
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[row.pk]))
    return urls


def french(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


def walk(client: Client, opened: list[str] | None = None) -> dict[str, list[str]]:
    """Every page the account may open, with the English words each shows (the pages read
    are added to ``opened``)."""
    english: dict[str, list[str]] = {}
    opened = [] if opened is None else opened
    for url in _plain_admin_urls() + _row_urls():
        response = client.get(url)
        if response.status_code == 404 or 300 <= response.status_code < 400:
            continue
        assert response.status_code in (200, 400, 403), f"{url}: {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download (CSV, PDF): its headings are for machines
        opened.append(url)
        assert 'lang="fr"' in response.text, url
        words = english_in(response.text)
        if words:
            english[url] = words
    assert len(opened) > 1, "the account opened no page at all"
    return english


@pytest.fixture
def seeded(published: Any) -> Any:
    seeded = seed()
    engine.run()  # a purge run and its receipts, for their pages
    # A campaign and a change waiting for the processor, for theirs.
    Campaign.objects.create(
        kind=Campaign.Kind.POLICY_CHANGE,
        subject="Notre politique change",
        body="Bonjour",
        content_sha256="b" * 64,
        created_at=clock.now(),
    )
    ProcessorSync.objects.create(
        processor="brevo",
        person=seeded.person,
        wanted=ProcessorSync.Wanted.SUBSCRIBED,
        updated_at=clock.now(),
    )
    return seeded


@pytest.mark.parametrize("role", ["dpo", "staff", "viewer"])
def test_it_shows_no_english_word_in_french_to_any_role(make_account, seeded, role):
    client = french(verified_client(make_account(f"{role}-fr", role)))
    opened: list[str] = []
    assert walk(client, opened) == {}
    if role == "dpo":  # the DPO reads every list and a row of each: the walk missed none
        for model, model_admin in admin.site._registry.items():
            if model._meta.app_label in ("auth",):
                continue
            opts = model_admin.opts
            assert reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") in opened
            if model._default_manager.exists():
                row = model._default_manager.order_by("pk").first()
                assert row is not None
                change = f"admin:{opts.app_label}_{opts.model_name}_change"
                assert reverse(change, args=[row.pk]) in opened


def test_it_shows_no_english_word_in_french_to_a_superuser(db, seeded):
    user = get_user_model().objects.create_superuser("root-fr", password=PASSWORD)
    client = french(
        otp_session_client(Account(user, PASSWORD, accounts.provision_two_factor(user)))
    )
    assert walk(client) == {}


def _superuser(db: Any) -> Client:
    user = get_user_model().objects.create_superuser("root-roles", password=PASSWORD)
    return french(otp_session_client(Account(user, PASSWORD, accounts.provision_two_factor(user))))


def test_it_names_the_roles_in_the_readers_language(make_account, published):
    make_account("equipe-1", "staff")
    make_account("lecture-1", "viewer")
    client = _superuser(None)
    users = client.get("/admin/auth/user/").text
    # The list's column and its filter name each role in French; the stored names stay.
    assert ">Équipe<" in users and ">Lecture<" in users and ">DPO<" in users
    assert ">Staff<" not in users and ">Viewer<" not in users
    staff_only = client.get("/admin/auth/user/", {"role": "Staff"}).text
    assert "equipe-1" in staff_only and "lecture-1" not in staff_only
    account = get_user_model().objects.get(username="equipe-1")
    form = client.get(f"/admin/auth/user/{account.pk}/change/").text
    assert ">Équipe</option>" in form and ">Staff</option>" not in form
    groups = client.get("/admin/auth/group/").text
    assert "Équipe" in groups and "Lecture" in groups and ">Viewer<" not in groups
    group = Group.objects.get(name="Viewer")
    page = client.get(f"/admin/auth/group/{group.pk}/change/").text
    assert "<h2>Lecture</h2>" in page
    # Its permissions by their model and action in French, not Django's stored English names.
    assert "Politique de confidentialité | version de la politique | Afficher" in page
    assert "Can view" not in page and "Can view" not in form
    with translation.override("en"):
        english = _english_client(client).get("/admin/auth/user/").text
    assert ">Staff<" in english and ">Viewer<" in english


def _english_client(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_policy_versions_show_their_date_with_the_zone(make_account, published):
    client = french(verified_client(make_account("dpo-v", "dpo")))
    listing = client.get("/admin/policy/policyversion/").text
    assert "(Europe/Paris)" in listing
    assert (
        "(Europe/Paris)" in client.get(f"/admin/policy/policyversion/{published.pk}/change/").text
    )


def test_the_publish_page_has_the_breadcrumbs_of_every_page(make_account, published):
    page = french(verified_client(make_account("dpo-b", "dpo"))).get("/admin/policy/publish/").text
    crumbs = page.split('<ol class="breadcrumbs">', 1)[1].split("</ol>", 1)[0]
    assert '<a href="/admin/policy/">Politique de confidentialité</a>' in crumbs
    assert '<a href="/admin/policy/policyversion/">Versions de la politique</a>' in crumbs
    assert '<li aria-current="page">Publier la politique de confidentialité</li>' in crumbs
    assert 'class="breadcrumbs">' not in page.replace('<ol class="breadcrumbs">', "")


def test_the_messages_after_an_action_are_in_french(make_account, seeded):
    dpo = french(verified_client(make_account("dpo-m", "dpo")))
    added = dpo.post(
        "/admin/site/origins/", {"action": "add", "origin": "https://autre.example"}, follow=True
    )
    assert "Le site https://autre.example est autorisé" in added.text
    wrong = dpo.post("/admin/site/origins/", {"action": "add", "origin": "autre.example"})
    assert wrong.status_code == 400 and "n’est pas une origine" in visible_text(wrong.text)
    assert english_in(wrong.text) == []
    nobody = dpo.post("/admin/vault/person/search/", {"email": "nobody@example.org"})
    assert "Personne n'a cette adresse électronique dans Gardien." in nobody.text
    assert english_in(nobody.text) == []
    message = ContactMessage.objects.get()
    answered = dpo.post(
        "/admin/contact/contactmessage/",
        {"action": "mark_answered", ACTION_CHECKBOX_NAME: [str(message.pk)]},
        follow=True,
    )
    assert "1 message marqué comme répondu." in answered.text
    assert english_in(answered.text) == []


def test_the_person_search_finds_a_person_by_the_vaults_rule(make_account, seeded):
    """Any spelling of case and surrounding spaces, as the forms and rights requests find."""
    dpo = french(verified_client(make_account("dpo-s", "dpo")))
    found = dpo.post("/admin/vault/person/search/", {"email": "  ADA@Example.org "})
    assert found.status_code == 302
    assert found["Location"] == f"/admin/vault/person/{seeded.person.pk}/change/"


def test_a_page_the_role_does_not_allow_says_so_in_french(make_account, published):
    staff = french(verified_client(make_account("staff-403", "staff")))
    refused = staff.get("/admin/register/")
    assert refused.status_code == 403
    assert "Vous ne pouvez pas ouvrir cette page" in refused.text
    assert 'href="/admin/"' in refused.text and english_in(refused.text) == []
    with translation.override("en"):
        english = _english_client(staff).get("/admin/vault/person/")
    assert english.status_code == 403 and "You may not open this page" in english.text


def test_the_audit_log_names_an_accounts_roles_in_french(make_account, published):
    make_account("equipe-a", "staff")
    dpo = french(verified_client(make_account("dpo-a", "dpo")))
    listing = dpo.get("/admin/audit/auditentry/", {"action": "change_roles"}).text
    assert ">Équipe</td>" in listing and ">DPO</td>" in listing
    assert ">staff</td>" not in listing and ">dpo</td>" not in listing


def test_the_site_settings_say_who_allowed_a_site_in_french(make_account, published):
    dpo = french(verified_client(make_account("dpo-o", "dpo")))
    dpo.post("/admin/site/origins/", {"action": "add", "origin": "https://autre.example"})
    page = visible_text(dpo.get("/admin/site/origins/").text)
    assert "dpo-o (espace d'administration)" in page and "ligne de commande" in page
    assert "back office" not in page and "back-office" not in page
