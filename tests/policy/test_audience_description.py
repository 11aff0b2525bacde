"""The policy page, the cookie inventory and the record of processing describe Gardien's
audience measurement from the published manifest: who measures, what, how long, why it is
exempt from consent and how to object; a new published version changes all three."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from django.core.management import call_command

from gardien.audience.describe import describe
from gardien.policy.services import publish
from tests.policy.test_register import PASSWORD, boss, boss_client  # noqa: F401 (fixtures)

SHORTER = (
    ('retention = "25 months after collected"', 'retention = "14 months after collected"'),
    (
        'storage = "local_storage", lifetime = "13 months"',
        'storage = "local_storage", lifetime = "6 months"',
    ),
)
WITHOUT_AUDIENCE = (('[audience]\npurpose = "audience"\nunique_visitors = true', ""),)


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's words, tags and entities removed, spaces collapsed."""
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def pages(client, lang: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "policy": text(client.get(f"/{lang}/privacy/")),
        "inventory": text(client.get(f"/{lang}/privacy/cookies/")),
        "register": register_text(lang),
    }


def register_text(lang: str) -> str:
    out = io.StringIO()
    call_command("register", "export", "--format", "csv", "--language", lang, stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue().removeprefix("\ufeff")), delimiter=";"))
    return " ".join(" ".join(row) for row in rows)


FRENCH = [
    "Nous mesurons nous-mêmes l'audience de notre site, sur notre propre serveur",
    "Pages consultées, date de la visite, site d'origine",
    "Les pages vues sont conservées 25 mois après la collecte",
    "stockage local « gardien_vid ») pendant 13 mois à compter de sa création",
    "sans jamais être prolongé",
    "exemptée de consentement selon les règles de la CNIL",
    "sans suivi d'un site à l'autre",
    "ne sont transmises à aucun tiers",
    "aucune adresse IP complète n'est conservée",
    "votre opposition s'applique aussitôt",
    "Global Privacy Control",
    "/fr/consent/",
]
ENGLISH = [
    "We measure our site's audience ourselves, on our own server (first party)",
    "Pages viewed, date of the visit, referring site",
    "Page views are kept 25 months after collection",
    "“gardien_vid”) for 13 months from its creation and is never extended",
    "exempt from consent under the CNIL's rules",
    "with no tracking across sites",
    "passed to no third party",
    "no full IP address is kept",
    "your objection applies at once",
    "Global Privacy Control",
    "/en/consent/",
]


@pytest.mark.parametrize(("lang", "expected"), [("fr", FRENCH), ("en", ENGLISH)])
def test_the_three_pages_describe_the_measurement_from_the_manifest(
    client, published, lang, expected
):
    for name, words in pages(client, lang).items():
        for sentence in expected:
            assert sentence in words, (name, sentence)


def test_a_new_published_version_changes_the_three_pages(client, published, edited_manifest):
    publish(edited_manifest(*SHORTER), note="Shorter")
    for name, words in pages(client, "fr").items():
        assert "Les pages vues sont conservées 14 mois après la collecte" in words, name
        assert "« gardien_vid ») pendant 6 mois à compter de sa création" in words, name
        assert "25 mois après la collecte" not in words, name


def test_a_draft_changes_nothing_until_it_is_published(
    client, published, edited_manifest, settings
):
    settings.GARDIEN_MANIFEST = edited_manifest(*SHORTER)
    for name, words in pages(client, "en").items():
        assert "Page views are kept 25 months after collection" in words, name


def test_without_audience_section_nothing_is_said(db, client, edited_manifest):
    publish(edited_manifest(*WITHOUT_AUDIENCE), note="No audience")
    for name, words in pages(client, "en").items():
        assert "with no tracking across sites" not in words, name


def test_without_unique_visitors_nothing_is_kept_in_the_browser(coopo_manifest):
    section = coopo_manifest.audience.model_copy(update={"unique_visitors": False})
    manifest = coopo_manifest.model_copy(update={"audience": section})
    description = describe(manifest, "en")
    assert description is not None
    assert description.identifier == (
        "Nothing is kept in your browser: the statistics count visits, not visitors."
    )
    assert "gardien_vid" not in description.text()


def test_named_query_parameters_are_listed(coopo_manifest):
    section = coopo_manifest.audience.model_copy(update={"query_parameters": ["page", "q"]})
    manifest = coopo_manifest.model_copy(update={"audience": section})
    description = describe(manifest, "fr")
    assert description is not None
    assert description.addresses.endswith("sauf : page, q.")


def test_the_register_keeps_it_with_the_legal_basis_of_the_activity(published):
    out = io.StringIO()
    call_command("register", "export", "--format", "json", "--language", "en", stdout=out)

    activities = {a["id"]: a for a in json.loads(out.getvalue())["activities"]}
    assert "exempt from consent" in activities["audience"]["legal_basis"]["exemption"]
    assert all(
        a["legal_basis"]["exemption"] is None for key, a in activities.items() if key != "audience"
    )


def test_the_back_office_register_shows_it(boss_client, published):  # noqa: F811
    response = boss_client.get("/admin/register/?language=en")
    assert "exempt from consent under the CNIL's rules" in text(response)
