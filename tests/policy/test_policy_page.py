from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from gardien.manifest import wording

LANGUAGE_URLS = [("fr", "/fr/privacy/"), ("en", "/en/privacy/")]


class _Resources(HTMLParser):
    """Every URL a browser would fetch by itself: <link href>, <script src>, <img src>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag in ("link", "script", "img"):
            for name in ("href", "src", "srcset"):
                if values.get(name):
                    self.urls.append(values[name] or "")


def test_it_serves_the_policy_in_french_by_default(client, published):
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert "Laval-en-Belledonne" in response.text


def test_it_serves_english_from_the_prefix(client, published):
    response = client.get("/en/privacy/")
    assert response.status_code == 200
    assert '<h1 id="policy-title">Privacy policy</h1>' in response.text


def test_it_serves_french_from_the_prefix_whatever_the_browser_says(client, published, text_of):
    response = client.get("/fr/privacy/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.text
    text = text_of(response.text)
    assert "Formulaire de contact" in text
    assert "Contact form" not in text


def test_it_follows_the_browser_language_on_the_unprefixed_url(client, published, text_of):
    response = client.get("/privacy/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.text
    text = text_of(response.text)
    assert "Contact form" in text
    assert "Formulaire de contact" not in text


def test_it_takes_the_preferred_language_it_speaks_from_the_browser_list(client, published):
    for header, expected in [
        ("de-DE, en-GB;q=0.8, fr;q=0.5", "en"),
        ("en;q=0.1, fr;q=0.9", "fr"),
        ("EN-us", "en"),
        ("de, it", "fr"),
        ("*", "fr"),
    ]:
        response = client.get("/privacy/", headers={"accept-language": header})
        assert response["Content-Language"] == expected, header


def test_it_varies_on_the_browser_language_only_on_the_unprefixed_url(client, published):
    unprefixed = client.get("/privacy/")
    assert "accept-language" in unprefixed["Vary"].lower()
    for url in ("/fr/privacy/", "/en/privacy/"):
        assert "accept-language" not in client.get(url).get("Vary", "").lower()


def test_it_sets_no_cookie(client, published):
    for url in ("/privacy/", "/fr/privacy/", "/en/privacy/"):
        response = client.get(url, headers={"accept-language": "en"})
        assert response.status_code == 200, url
        assert not response.cookies, url
        assert "Set-Cookie" not in response, url
    assert not client.cookies


def test_it_loads_no_script_and_nothing_from_another_site(client, published):
    for url in ("/fr/privacy/", "/en/privacy/"):
        html = client.get(url).text
        resources = _Resources()
        resources.feed(html)
        assert resources.scripts == 0, url
        assert "<script" not in html.lower(), url
        assert resources.urls, "the page should at least load its own stylesheet"
        outside = [u for u in resources.urls if re.match(r"^(https?:)?//", u.strip(), flags=re.I)]
        assert outside == [], url


def test_it_sends_a_strict_content_security_policy(client, published):
    policy = client.get("/privacy/")["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(("lang", "url"), LANGUAGE_URLS)
def test_it_names_the_controller_the_dpo_and_the_authority(client, published, text_of, lang, url):
    text = text_of(client.get(url).text)
    assert "153 chemin du ruisseau, 38190 Laval-en-Belledonne, France" in text
    assert "rgpd@coopo.fr" in text
    assert "https://www.cnil.fr/fr/plaintes" in text
    assert "Service des Plaintes – 3 Place de Fontenoy – TSA 80715 – 75334 PARIS CEDEX 07" in text


@pytest.mark.parametrize(("lang", "url"), LANGUAGE_URLS)
def test_it_states_every_retention_period(client, published, coopo_manifest, text_of, lang, url):
    text = text_of(client.get(url).text)
    expected = []
    for activity in coopo_manifest.activities:
        expected.append(wording.rule(activity.retention, lang))
        expected += [wording.rule(r.retention, lang) for r in activity.records]
    assert len(expected) == 13
    missing = [phrase for phrase in expected if phrase not in text]
    assert missing == []


@pytest.mark.parametrize(("lang", "url"), LANGUAGE_URLS)
def test_it_says_how_long_cookie_choices_are_remembered(
    client, published, coopo_manifest, text_of, lang, url
):
    lifetime = wording.duration(coopo_manifest.cookies.choice_lifetime, lang)
    assert lifetime == {"fr": "12 mois", "en": "12 months"}[lang]
    assert lifetime in text_of(client.get(url).text)


def test_it_says_in_english_that_choices_are_remembered_for_their_lifetime(
    client, published, text_of
):
    assert "remembered for 12 months" in text_of(client.get("/en/privacy/").text)


@pytest.mark.parametrize(("lang", "url"), LANGUAGE_URLS)
def test_it_names_every_recipient(client, published, coopo_manifest, text_of, lang, url):
    text = text_of(client.get(url).text)
    names = [p.name for p in coopo_manifest.processors]
    assert names == [
        "Brevo",
        "Google Workspace",
        "Framer",
        "OVHcloud",
        "Scaleway Transactional Email",
    ]
    assert [name for name in names if name not in text] == []


@pytest.mark.parametrize(("lang", "url"), LANGUAGE_URLS)
def test_it_lists_each_field_of_the_contact_form(
    client, published, coopo_manifest, text_of, lang, url
):
    text = text_of(client.get(url).text)
    labels = [f.label.get(lang) for f in coopo_manifest.activity("contact").fields]
    assert {"fr": "Adresse électronique", "en": "Email address"}[lang] in labels
    assert [label for label in labels if label not in text] == []


@pytest.mark.parametrize(("lang", "url"), LANGUAGE_URLS)
def test_it_states_the_legitimate_interest_of_the_contact_form(
    client, published, coopo_manifest, text_of, lang, url
):
    interest = coopo_manifest.activity("contact").legitimate_interest.get(lang)
    assert interest in text_of(client.get(url).text)


@pytest.mark.parametrize(("lang", "url"), LANGUAGE_URLS)
def test_it_shows_the_date_of_the_published_version(client, published, lang, url):
    html = client.get(url).text
    local = timezone.localtime(published.published_at)
    with translation.override(lang):
        shown = date_filter(local, "j F Y")
    updated = re.search(r'<p class="updated">(.*?)</p>', html, flags=re.S)
    assert updated is not None
    assert f'<time datetime="{local:%Y-%m-%d}">{shown}</time>' in updated.group(1)


def test_it_says_last_updated_in_english(client, published, text_of):
    local = timezone.localtime(published.published_at)
    with translation.override("en"):
        shown = date_filter(local, "j F Y")
    assert f"Last updated: {shown}" in text_of(client.get("/en/privacy/").text)


def test_it_mentions_portability_and_the_withdrawal_of_consent(client, published, text_of):
    text = text_of(client.get("/en/privacy/").text)
    assert "portability" in text
    assert "withdraw your consent" in text


def test_it_says_no_data_leaves_the_european_economic_area(client, published, text_of):
    text = text_of(client.get("/en/privacy/").text)
    assert "None: your data is not transferred outside the European Economic Area" in text
    assert "safeguard:" not in text


def test_it_answers_503_when_nothing_is_published(client, db):
    for url in ("/privacy/", "/fr/privacy/", "/en/privacy/"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert not response.cookies, url


def test_it_explains_in_a_sentence_that_nothing_is_published(client, db, text_of):
    response = client.get("/en/privacy/")
    assert response.status_code == 503
    assert "The privacy policy has not been published yet." in text_of(response.text)


def test_it_answers_head_requests(client, published):
    response = client.head("/privacy/")
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"].startswith("text/html")


def test_it_refuses_to_be_written_to(client, published):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/en/privacy/")
        assert response.status_code == 405, method
        assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}, method
