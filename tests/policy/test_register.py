"""The record of processing (Art. 30): its data, the `register export` command, the back office."""

from __future__ import annotations

import csv
import io
import json
from html import escape

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from gardien.backoffice import accounts
from gardien.manifest import wording
from gardien.policy import register
from gardien.policy.models import PolicyVersion

ART_30_KEYS = [
    "controller",
    "purpose",
    "legal_basis",
    "data_subjects",
    "data_categories",
    "recipients",
    "transfers",
    "retention",
    "security",
]


def export(*args: str) -> str:
    """The command's output; its sentences in English (the command speaks the caller's
    language)."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("register", "export", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def broken_manifest(edited_manifest):
    path = edited_manifest(
        ('retention = "3 years after last_contact"', 'retention = "3 yeers after last_contact"')
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if "3 yeers" in text)
    return path, line


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_it_gives_every_activity_the_facts_article_30_asks_for(coopo_manifest, lang):
    data = register.build(coopo_manifest, lang)
    assert len(data["activities"]) == len(coopo_manifest.activities) == 7
    for activity, source in zip(data["activities"], coopo_manifest.activities, strict=True):
        assert set(ART_30_KEYS) <= set(activity), activity["id"]
        controller = activity["controller"]
        assert controller["name"] == "Coopo"
        assert "Laval-en-Belledonne" in controller["address"]
        assert controller["email"] == "rgpd@coopo.fr"
        assert controller["dpo"]["email"] == "rgpd@coopo.fr"
        assert controller["dpo"]["postal_address"]
        assert activity["name"] == source.name.get(lang)
        assert activity["purpose"] == source.purpose.get(lang)
        basis = activity["legal_basis"]
        assert basis["basis"] == source.legal_basis
        assert basis["label"] and "6(1)" in basis["article"]
        if source.legal_basis == "legitimate_interest":
            assert basis["legitimate_interest"] == source.legitimate_interest.get(lang)
        if source.legal_basis == "legal_obligation":
            assert basis["detail"]
        if source.legal_basis == "consent":
            assert basis["consent_recorded_by"]
        assert activity["data_subjects"] and all(activity["data_subjects"])
        assert activity["data_categories"]
        assert all(c["key"] and c["name"] for c in activity["data_categories"])
        assert [p["id"] for p in activity["recipients"]["processors"]] == source.recipients
        assert activity["transfers"] == []  # Coopo sends nothing outside the EEA
        phrases = [r["text"] for r in activity["retention"]]
        expected = [wording.rule(source.retention, lang)]
        expected += [wording.rule(r.retention, lang) for r in source.records]
        assert phrases == expected
        assert activity["security"] == coopo_manifest.policy.security.get(lang)


def test_it_lists_each_processor_with_its_contract(coopo_manifest):
    data = register.build(coopo_manifest, "en")
    assert [p["name"] for p in data["processors"]] == [p.name for p in coopo_manifest.processors]
    for processor in data["processors"]:
        assert processor["entity"] and processor["service"] and processor["country"]
        assert processor["dpa"]["reference"] and processor["dpa"]["date"]
        assert processor["activities"], processor["id"]


def test_it_exports_json_with_seven_activities_and_five_processors(published):
    data = json.loads(export("--format", "json"))
    assert data["language"] == "fr"
    assert len(data["activities"]) == 7
    assert len(data["processors"]) == 5
    assert data["controller"]["dpo"]["email"] == "rgpd@coopo.fr"
    assert len(data["manifest_hash"]) == 64


def test_it_exports_json_in_english(published, coopo_manifest):
    data = json.loads(export("--format", "json", "--language", "en"))
    names = [a["name"] for a in data["activities"]]
    assert names == [a.name.get("en") for a in coopo_manifest.activities]
    assert "Contact form" in names


def test_it_exports_one_csv_row_per_activity(published, coopo_manifest):
    text = export("--format", "csv").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Identifiant", "Traitement"]
    assert "(f) Durées de conservation" in header
    assert [row[0] for row in body] == [a.id for a in coopo_manifest.activities]
    assert all(len(row) == len(header) for row in body)
    contact = body[0]
    assert "3 ans après le dernier contact" in contact[header.index("(f) Durées de conservation")]
    assert contact[header.index("(e) Transferts vers des pays tiers")] == "aucun"


def test_it_exports_one_csv_row_per_processor(published, coopo_manifest):
    text = export("--format", "csv", "--what", "processors", "--language", "en")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Recipient id", "Recipient", "Role (Art. 28, 26)"]
    assert [row[1] for row in body] == [p.name for p in coopo_manifest.processors]
    assert all(len(row) == len(header) for row in body)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_it_exports_html_naming_every_activity(published, coopo_manifest, lang):
    html = export("--format", "html", "--language", lang)
    assert html.lstrip().startswith("<!doctype html>")
    assert f'<html lang="{lang}">' in html
    missing = [a.id for a in coopo_manifest.activities if escape(a.name.get(lang)) not in html]
    assert missing == []


def test_it_writes_the_export_to_a_file(published, tmp_path):
    target = tmp_path / "register.json"
    message = export("--format", "json", "--output", str(target))
    assert f"Wrote the register (7 activities, 5 processors) to {target}." in message
    assert len(json.loads(target.read_text(encoding="utf-8"))["activities"]) == 7


def test_it_explains_when_the_file_cannot_be_written(published, tmp_path):
    with pytest.raises(CommandError, match=r"Cannot write .*register"):
        export("--format", "csv", "--output", str(tmp_path / "missing-folder" / "register.csv"))


def test_it_lists_the_problems_of_a_broken_manifest(db, broken_manifest):
    path, line = broken_manifest
    with pytest.raises(CommandError) as caught:
        export("--format", "json", "--draft", "--manifest", str(path))
    message = str(caught.value)
    assert message.startswith("The manifest has problems:")
    assert f"{path}:{line}: " in message
    assert "3 yeers after last_contact" in message


PASSWORD = "Plenty-Long-Passphrase-for-the-DPO"


@pytest.fixture
def boss(db, settings, django_user_model):
    """A superuser with two-factor devices, as the back office requires."""
    # Argon2 costs half a second a hash; these tests are about what the page shows.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_superuser("boss", "boss@coopo.example", PASSWORD)
    return user, accounts.provision_two_factor(user)


@pytest.fixture
def boss_client(client, boss):
    """The superuser logged in through the login form, with one of their backup codes."""
    _user, two_factor = boss
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "boss",
            "password": PASSWORD,
            "otp_token": two_factor.backup_codes[0],
            "next": "/admin/",
        },
    )
    assert response.status_code == 302, response.text
    return client


def test_it_sends_an_anonymous_visitor_of_the_register_to_the_login_page(client, db):
    response = client.get("/admin/register/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/register/"


def test_it_shows_the_register_to_a_verified_superuser(
    boss_client, published, coopo_manifest, text_of
):
    response = boss_client.get("/admin/register/")
    assert response.status_code == 200
    text = text_of(response.text)
    missing = [a.id for a in coopo_manifest.activities if a.name.get("fr") not in text]
    assert missing == []
    assert [p.name for p in coopo_manifest.processors if p.name not in text] == []


def test_it_shows_the_register_in_english_on_request(boss_client, published, coopo_manifest):
    html = boss_client.get("/admin/register/?language=en").text
    assert [a.id for a in coopo_manifest.activities if escape(a.name.get("en")) not in html] == []


def test_it_hides_the_register_from_a_superuser_without_the_second_factor(client, published, boss):
    user, _two_factor = boss
    client.force_login(user)
    response = client.get("/admin/register/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/register/"


def test_it_hides_the_register_from_a_user_who_is_not_staff(
    client, published, settings, django_user_model
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    member = django_user_model.objects.create_user("member", password=PASSWORD)
    client.force_login(member)
    response = client.get("/admin/register/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "Formulaire de contact" not in response.content.decode()


def test_it_offers_no_way_to_add_change_or_delete_a_version(boss_client, published):
    client = boss_client
    base = "/admin/policy/policyversion/"
    listing = client.get(base)
    assert listing.status_code == 200
    assert f"{base}add/" not in listing.text
    assert 'value="delete_selected"' not in listing.text
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}add/", {"number": 2, "note": "forged"}).status_code == 403
    detail = client.get(f"{base}{published.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.text
    assert client.post(f"{base}{published.pk}/change/", {"note": "edited"}).status_code == 403
    assert client.get(f"{base}{published.pk}/delete/").status_code == 403
    assert client.post(f"{base}{published.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(base, {"action": "delete_selected", "_selected_action": [published.pk]})
    version = PolicyVersion.objects.get()
    assert (version.number, version.note) == (1, "First version")


def test_it_lists_the_manifest_problems_to_staff_instead_of_the_register(
    boss_client, settings, broken_manifest, text_of
):
    path, line = broken_manifest
    settings.GARDIEN_MANIFEST = path
    response = boss_client.get("/admin/register/")
    assert response.status_code == 500
    assert f"{path}:{line}: " in text_of(response.text)
