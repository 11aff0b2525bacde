"""The register an auditor is handed: PDF, CSV and JSON downloads from the back office and
`gardien register export`, dated, versioned, audited, with categories and roles in words."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from gardien.audit.models import AuditEntry
from gardien.lib import when
from gardien.policy.models import PolicyVersion
from tests.backoffice.conftest import make_account, outsider  # noqa: F401  (fixtures)
from tests.backoffice.helpers import LOGIN, new_client, verified_client
from tests.policy.pdftext import pdf_text

DOWNLOAD = "/admin/register/download/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dpo(make_account: Any) -> Client:  # noqa: F811
    return verified_client(make_account("dpo-h4", "dpo"))


def export_bytes(tmp_path: Any, *args: str) -> bytes:
    target = tmp_path / "register.out"
    call_command("register", "export", *args, "--output", str(target), stdout=io.StringIO())
    return target.read_bytes()


def csv_rows(content: bytes, delimiter: str = ";") -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), content[:10]
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def exports_audited() -> list[tuple[str, str, str, str]]:
    return list(
        AuditEntry.objects.filter(action="export", target_type="policy.register")
        .order_by("position")
        .values_list("actor_kind", "actor_ref", "target_ref", "reason")
    )


# ------------------------------------------------------------------ the back office


def test_the_pdf_download_opens_and_names_every_activity_processor_and_its_date(
    dpo, published, coopo_manifest
):
    response = dpo.get(DOWNLOAD, {"format": "pdf", "language": "fr"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    day = when.day(published.published_at)
    assert response["Content-Disposition"] == (
        f'attachment; filename="registre-des-traitements-v1-{when.day(when.local(_now()))}.pdf"'
    )
    text = pdf_text(response.content)
    missing = [a.name.get("fr") for a in coopo_manifest.activities if a.name.get("fr") not in text]
    assert missing == []
    assert [p.name for p in coopo_manifest.processors if p.name not in text] == []
    assert f"Version 1 de la politique, publiée le {day}" in text
    assert "Document produit le " in text and when.zone() in text
    # Categories by their names, roles in words.
    assert "Adresse e-mail" in text and "user.contact.email" not in text
    assert "Sous-traitant (article 28 du RGPD)" in text


def test_the_english_pdf_is_in_english(dpo, published, coopo_manifest):
    text = pdf_text(dpo.get(DOWNLOAD, {"format": "pdf", "language": "en"}).content)
    assert "Policy version 1, published" in text
    assert "Email address" in text
    assert all(a.name.get("en") in text for a in coopo_manifest.activities)


def test_the_csv_download_starts_with_a_byte_order_mark_and_splits_on_semicolons(
    dpo, published, coopo_manifest
):
    response = dpo.get(
        DOWNLOAD,
        {"format": "csv", "what": "processors", "separator": "semicolon", "language": "fr"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="registre-des-sous-traitants-v1-' in response["Content-Disposition"]
    rows = csv_rows(response.content)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Identifiant", "Destinataire", "Rôle (art. 28, 26)"]
    assert [row[1] for row in body] == [p.name for p in coopo_manifest.processors]
    google = body[1]
    received = google[header.index("Catégories de données reçues")]
    assert received == (
        "Nom et prénom; Statut professionnel; Adresse e-mail; Organisation; Contenu d'un message"
    )
    assert google[header.index("Traitements")] == "Formulaire de contact"


def test_the_csv_download_can_split_on_commas(dpo, published, coopo_manifest):
    response = dpo.get(DOWNLOAD, {"format": "csv", "what": "activities", "separator": "comma"})
    rows = csv_rows(response.content, delimiter=",")
    assert [row[0] for row in rows[1:]] == [a.id for a in coopo_manifest.activities]
    assert all(len(row) == len(rows[0]) for row in rows)


def test_the_json_download_is_dated_versioned_and_says_each_role(dpo, published):
    response = dpo.get(DOWNLOAD, {"format": "json", "language": "en"})

    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["policy_version"] == {
        "number": 1,
        "published_at": when.iso(published.published_at),
    }
    assert data["generated_at"].startswith(when.day(when.local(_now())))
    assert data["time_zone"] == when.zone()
    roles = {p["id"]: p["role"]["key"] for p in data["processors"]}
    assert set(roles.values()) == {"processor"}
    brevo = data["processors"][0]
    assert brevo["role"]["label"] == "processor"
    assert {"key": "user.contact.email", "name": "Email address"} in brevo["receives"]


def test_each_download_is_audited_with_the_version_and_no_personal_value(dpo, published):
    dpo.get(DOWNLOAD, {"format": "pdf", "language": "en"})
    dpo.get(DOWNLOAD, {"format": "csv", "what": "processors", "language": "fr"})

    entries = exports_audited()
    assert [(kind, target, reason) for kind, _actor, target, reason in entries] == [
        ("staff", "1", "pdf en"),
        ("staff", "1", "csv processors fr"),
    ]
    assert all(actor.isdigit() for _kind, actor, _target, _reason in entries)


@pytest.mark.parametrize(
    "query",
    [
        {"format": "docx"},
        {"format": "csv", "what": "people"},
        {"format": "csv", "separator": "tab"},
        {"format": "pdf", "language": "de"},
    ],
)
def test_an_unknown_download_is_refused_with_a_sentence_and_not_audited(dpo, published, query):
    response = dpo.get(DOWNLOAD, query)
    assert response.status_code == 400
    assert "use the buttons" in response.text or "utilisez les boutons" in response.text
    assert exports_audited() == []


def test_before_any_publication_there_is_nothing_to_download(dpo):
    response = dpo.get(DOWNLOAD, {"format": "json"})
    assert response.status_code == 404
    assert "No policy is published yet" in response.text
    assert exports_audited() == []


@pytest.mark.parametrize(("persona", "expected"), [("dpo", 200), ("viewer", 200), ("staff", 403)])
def test_whoever_may_read_the_register_may_download_it(
    make_account,  # noqa: F811
    published,
    persona,
    expected,
):
    client = verified_client(make_account(f"{persona}-h4", persona))
    assert client.get("/admin/register/").status_code == expected
    assert client.get(DOWNLOAD, {"format": "json"}).status_code == expected


def test_an_anonymous_visitor_is_sent_to_the_login_page(db, published):
    response = new_client().get(DOWNLOAD, {"format": "json"})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")
    assert exports_audited() == []


def test_the_register_page_offers_the_downloads_instead_of_a_command(dpo, published):
    with translation.override("en"):
        html = dpo.get("/admin/register/?language=en").text
    assert "gardien register export" not in html
    for query in (
        "format=pdf&amp;language=en",
        "format=csv&amp;what=activities&amp;separator=semicolon&amp;language=en",
        "format=csv&amp;what=processors&amp;separator=comma&amp;language=en",
        "format=json&amp;language=en",
    ):
        assert f'href="{DOWNLOAD}?{query}"' in html


# ------------------------------------------------------------------ the command line


def test_the_command_writes_the_same_pdf_text_as_the_download(dpo, published, tmp_path):
    from_command = pdf_text(export_bytes(tmp_path, "--format", "pdf", "--language", "en"))
    downloaded = pdf_text(dpo.get(DOWNLOAD, {"format": "pdf", "language": "en"}).content)
    assert from_command == downloaded
    assert [(k, t, r) for k, _a, t, r in exports_audited()] == [
        ("system", "1", "pdf"),
        ("staff", "1", "pdf en"),
    ]


def test_the_command_refuses_to_print_a_pdf_on_the_screen(published):
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=r"add --output register\.pdf"),
    ):
        call_command("register", "export", "--format", "pdf", stdout=io.StringIO())


def test_the_command_writes_a_csv_with_a_byte_order_mark_and_the_separator_asked(
    published, tmp_path, coopo_manifest
):
    semicolons = csv_rows(export_bytes(tmp_path, "--format", "csv"))
    commas = csv_rows(export_bytes(tmp_path, "--format", "csv", "--separator", "comma"), ",")
    assert semicolons == commas
    assert [row[0] for row in semicolons[1:]] == [a.id for a in coopo_manifest.activities]


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(db, edited_manifest, tmp_path):
    path = edited_manifest(('name = "Framer"', 'name = "=HYPERLINK(\\"https://x.example\\")"'))
    content = export_bytes(
        tmp_path, "--format", "csv", "--what", "processors", "--draft", "--manifest", str(path)
    )
    names = [row[1] for row in csv_rows(content)[1:]]
    assert '\'=HYPERLINK("https://x.example")' in names
    assert not [name for name in names if name.startswith(("=", "+", "-", "@"))]


def test_a_draft_export_says_it_is_a_draft(db, coopo_path, tmp_path):
    data = json.loads(
        export_bytes(tmp_path, "--format", "json", "--draft", "--manifest", str(coopo_path))
    )
    assert data["policy_version"] is None
    assert PolicyVersion.objects.count() == 0
    assert exports_audited() == []


def _now():
    from gardien.lib import clock

    return clock.now()
