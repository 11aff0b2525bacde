"""GET /consent/config/<lang>.json: the banner's configuration, as docs/consent.md says."""

from __future__ import annotations

import hashlib
import json

import pytest

from gardien.manifest.schema import BANNER_STRINGS
from gardien.policy.services import publish
from tests.consent.conftest import recomputed_hash

KEYS = {
    "version",
    "hash",
    "purposes_hash",
    "lang",
    "cookie",
    "choice_days",
    "api",
    "policy_url",
    "inventory_url",
    "nojs_url",
    "google_consent_mode",
    "purposes",
    "vendors",
    "changes",
    "text",
    "theme",
    "audience",
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_it_serves_the_published_configuration_with_the_contract_fields(browser, published, lang):
    response = browser.get(f"/consent/config/{lang}.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "public, max-age=300"
    doc = response.json()
    assert set(doc) == KEYS
    assert doc["version"] == 1
    assert doc["lang"] == lang
    assert doc["cookie"] == "eu-consent"
    assert doc["choice_days"] == 365
    assert doc["api"] == "http://127.0.0.1:8000/api/consent"
    assert doc["policy_url"] == f"http://127.0.0.1:8000/{lang}/privacy/"
    assert doc["inventory_url"] == f"http://127.0.0.1:8000/{lang}/privacy/cookies/"
    assert doc["nojs_url"] == f"http://127.0.0.1:8000/{lang}/consent/"
    assert doc["google_consent_mode"] is False
    assert doc["vendors"] == ["Brevo"]
    assert doc["changes"] == ""
    assert list(doc["text"]) == list(BANNER_STRINGS)
    assert all(isinstance(v, str) and v for v in doc["text"].values())


def test_its_hash_is_the_sha256_of_the_canonical_document_without_hash(document):
    for lang in ("fr", "en"):
        doc = document(lang)
        assert len(doc["hash"]) == 64
        assert doc["hash"] == recomputed_hash(doc)
    assert document("fr")["hash"] != document("en")["hash"]
    assert document("fr")["purposes_hash"] == document("en")["purposes_hash"]


def test_it_describes_each_purpose_service_and_cookie(document):
    doc = document("fr")
    purposes = {p["id"]: p for p in doc["purposes"]}

    assert list(purposes) == ["necessary", "audience", "brevo_tracking"]
    assert purposes["necessary"]["consent"] == "not_needed"
    assert purposes["audience"]["consent"] == "exempt_with_opt_out"
    assert purposes["brevo_tracking"]["consent"] == "required"
    assert purposes["brevo_tracking"]["name"] == "Suivi Brevo (facultatif)"
    assert all(p["consent_mode"] is None for p in doc["purposes"])
    gardien = purposes["necessary"]["services"][0]
    assert gardien == {
        "id": "gardien",
        "name": "Gardien",
        "party": "first",
        "provider": None,
        "cookies": [
            {"name": "eu-consent", "storage": "cookie", "lifetime": "12 mois", "days": 365},
            {"name": "csrftoken", "storage": "cookie", "lifetime": "12 mois", "days": 365},
            {
                "name": "sessionid",
                "storage": "cookie",
                "lifetime": "le temps de la session",
                "days": None,
            },
        ],
    }
    brevo = purposes["brevo_tracking"]["services"][0]
    assert brevo["party"] == "third" and brevo["provider"] == "Brevo"
    assert {c["name"]: c["days"] for c in brevo["cookies"]} == {"sib_cuid": 181, "uuid": 393}


def test_it_answers_a_listed_origin_with_cors_and_others_without(browser, published):
    allowed = browser.get("/consent/config/fr.json", headers={"Origin": "https://coopo.fr"})
    assert allowed["Access-Control-Allow-Origin"] == "https://coopo.fr"
    assert "Origin" in allowed["Vary"]
    foreign = browser.get("/consent/config/fr.json", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 200
    assert "Access-Control-Allow-Origin" not in foreign


def test_it_sets_no_cookie(browser, published):
    response = browser.get("/consent/config/en.json")
    assert not response.cookies


def test_it_serves_an_older_version_unchanged_after_a_new_publication(
    browser, published, edited_manifest
):
    first = browser.get("/consent/config/en.json").json()
    edited = edited_manifest(
        (
            'name = { fr = "Suivi Brevo (facultatif)", en = "Brevo tracking (optional)" }',
            'name = { fr = "Suivi Brevo", en = "Brevo tracking" }',
        )
    )
    publish(edited, note="Renamed a purpose")

    current = browser.get("/consent/config/en.json").json()
    old = browser.get("/consent/config/1/en.json")
    assert current["version"] == 2
    assert current["changes"] == "Changed: Brevo tracking"
    assert current["purposes_hash"] != first["purposes_hash"]
    assert old.status_code == 200
    assert old.json() == first
    assert old.json()["hash"] == recomputed_hash(old.json())
    assert browser.get("/consent/config/2/fr.json").json()["changes"] == "Modifié : Suivi Brevo"


def test_it_says_what_is_new_since_the_previous_version(browser, published, edited_manifest):
    edited = edited_manifest(
        (
            '[[cookies.services]]\n  id = "brevo-tracker"',
            '[[cookies.purposes]]\n  id = "ads"\n'
            '  name = { fr = "Publicité", en = "Advertising" }\n'
            '  description = { fr = "Publicités.", en = "Ads." }\n'
            '  consent = "required"\n\n'
            '  [[cookies.services]]\n  id = "brevo-tracker"',
        )
    )
    publish(edited, note="Ads")
    assert browser.get("/consent/config/en.json").json()["changes"] == "New: Advertising"
    assert browser.get("/consent/config/fr.json").json()["changes"] == "Nouveau : Publicité"


@pytest.mark.parametrize(
    "url",
    [
        "/consent/config/de.json",
        "/consent/config/2/fr.json",
        "/consent/config/0/fr.json",
        "/consent/config/1/xx.json",
    ],
)
def test_it_answers_404_with_a_sentence_for_an_unknown_version_or_language(browser, published, url):
    response = browser.get(url)
    assert response.status_code == 404
    assert response.json()["message"]


def test_it_answers_503_before_any_publication(browser, db):
    response = browser.get("/consent/config/fr.json")
    assert response.status_code == 503
    assert "gardien policy publish" in response.json()["message"]


def test_the_wording_of_the_manifest_overrides_the_defaults(browser, db, edited_manifest):
    edited = edited_manifest(
        (
            'choice_lifetime = "12 months"',
            'choice_lifetime = "6 months"\n'
            'wording = { accept_all = { fr = "OK pour tout", en = "Fine with all" } }',
        )
    )
    publish(edited)
    doc = browser.get("/consent/config/en.json").json()
    assert doc["text"]["accept_all"] == "Fine with all"
    assert doc["text"]["refuse_all"] == "Refuse all"
    assert doc["choice_days"] == 181


def test_a_google_tag_turns_consent_mode_on(browser, db, edited_manifest):
    edited = edited_manifest(
        (
            'privacy_url = "https://www.brevo.com/legal/cookies/"',
            'privacy_url = "https://www.brevo.com/legal/cookies/"\n  google_tag = true',
        )
    )
    publish(edited)
    assert browser.get("/consent/config/fr.json").json()["google_consent_mode"] is True


def test_the_purposes_hash_covers_purposes_services_and_cookies_only(document, coopo_manifest):
    expected = hashlib.sha256(
        json.dumps(
            {
                "purposes": [p.model_dump(mode="json") for p in coopo_manifest.cookies.purposes],
                "services": [s.model_dump(mode="json") for s in coopo_manifest.cookies.services],
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    assert document("fr")["purposes_hash"] == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("12 months", 365),
        ("13 months", 393),
        ("6 months", 181),
        ("1 month", 28),
        ("1 year", 365),
        ("2 years", 730),
        ("4 years", 1460),
        ("6 weeks", 42),
        ("90 days", 90),
    ],
)
def test_durations_become_the_fewest_days_they_span_on_any_date(text, days):
    from gardien.manifest.retention import parse_duration

    assert parse_duration(text).days == days


@pytest.mark.parametrize(
    ("url", "content_type"),
    [("/consent/gardien.js", "text/javascript"), ("/consent/gardien.css", "text/css")],
)
def test_it_serves_the_banner_at_the_address_sites_use(browser, db, url, content_type):
    response = browser.get(url, follow=True)  # to the current file (tests/consent/test_delivery)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert not response.cookies


def test_it_keeps_every_document_it_served_under_its_hash(client, published, settings):
    first = client.get("/consent/config/fr.json")
    document = first.json()
    shown = client.get(f"/consent/config/shown/{document['hash']}.json")
    assert shown.status_code == 200
    assert shown.content == first.content  # byte for byte what was served
    # Gardien moves to another address: new documents, new hash; the old proof still checks.
    settings.SITE_URL = "https://privacy.coopo.fr"
    moved = client.get("/consent/config/fr.json").json()
    assert moved["hash"] != document["hash"]
    assert client.get(f"/consent/config/shown/{document['hash']}.json").content == first.content


def test_it_answers_404_for_a_hash_never_served(client, published):
    response = client.get(f"/consent/config/shown/{'0' * 64}.json")
    assert response.status_code == 404
    assert "copy the hash from the proof" in response.json()["message"]
    assert client.get("/consent/config/shown/not-a-hash.json").status_code == 404


AUDIENCE_SECTION = '[audience]\npurpose = "audience"\nunique_visitors = true'


def test_it_hands_the_audience_beacon_its_settings_from_the_manifest(document, coopo_manifest):
    """The identifier's lifetime is the declared storage item's, in days like its cookies."""
    declared = next(
        item
        for service in coopo_manifest.cookies.services
        for item in service.cookies
        if item.name == "gardien_vid"
    )
    for lang in ("fr", "en"):
        assert document(lang)["audience"] == {
            "purpose": "audience",
            "api": "http://127.0.0.1:8000/api/audience",
            "script": "http://127.0.0.1:8000/static/audience/beacon.js",
            "query": [],
            "visitor": {"key": "gardien_vid", "days": declared.lifetime.days},
        }
    assert declared.lifetime.days == 393  # 13 months: the fewest days they span


def test_the_audience_keeps_the_listed_parameters_and_no_identifier_unless_asked(
    browser, db, edited_manifest
):
    edited = edited_manifest(
        (AUDIENCE_SECTION, '[audience]\npurpose = "audience"\nquery_parameters = ["page", "q"]')
    )
    publish(edited)
    audience = browser.get("/consent/config/fr.json").json()["audience"]
    assert audience["query"] == ["page", "q"]
    assert audience["visitor"] is None


def test_the_audience_is_null_without_an_audience_section(browser, db, edited_manifest):
    publish(edited_manifest((AUDIENCE_SECTION, "")))
    doc = browser.get("/consent/config/fr.json").json()
    assert doc["audience"] is None
    assert doc["hash"] == recomputed_hash(doc)
