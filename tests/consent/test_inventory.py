"""/privacy/cookies/ and /privacy/cookies.json: every cookie the manifest declares; gpc.json."""

from __future__ import annotations

import pytest

from gardien.policy.services import publish


def _declared(manifest) -> set[str]:
    return {item.name for service in manifest.cookies.services for item in service.cookies}


def _providers(manifest) -> set[str]:
    names = {p.id: p.name for p in manifest.processors}
    return {names[s.provider] for s in manifest.cookies.services if s.provider}


def test_the_json_lists_every_declared_cookie_and_the_providers(client, published, coopo_manifest):
    response = client.get("/privacy/cookies.json", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    names = {c["name"] for c in body["cookies"]}
    assert names == _declared(coopo_manifest)
    assert {"eu-consent", "csrftoken", "sessionid", "gardien_vid"} <= names
    assert {v["name"] for v in body["vendors"]} == _providers(coopo_manifest) == {"Brevo"}
    cookies = {c["name"]: c for c in body["cookies"]}
    assert cookies["eu-consent"]["consent"] == "not_needed"
    assert cookies["eu-consent"]["party"] == "first" and cookies["eu-consent"]["provider"] is None
    assert cookies["gardien_vid"]["consent"] == "exempt_with_opt_out"
    assert cookies["gardien_vid"]["storage"] == "local_storage"
    assert cookies["sib_cuid"]["consent"] == "required"
    assert cookies["sib_cuid"]["provider"] == "Brevo"
    assert cookies["sib_cuid"]["lifetime"] == "6 months"
    assert cookies["sessionid"]["days"] is None
    assert body["version"] == 1


@pytest.mark.parametrize(
    ("url", "marker"),
    [
        ("/fr/privacy/cookies/", "consentement nécessaire"),
        ("/en/privacy/cookies/", "consent needed"),
    ],
)
def test_the_page_lists_every_cookie_with_purpose_party_and_lifetime(
    client, published, coopo_manifest, url, marker
):
    response = client.get(url)
    assert response.status_code == 200
    for name in _declared(coopo_manifest):
        assert f"<code>{name}</code>" in response.text
    for provider in _providers(coopo_manifest):
        assert provider in response.text
    assert marker in response.text
    assert "<script" not in response.text
    assert not response.cookies


def test_the_policy_links_the_inventory_from_its_cookie_section(client, published):
    html = client.get("/en/privacy/").text
    section = html[html.index('<section id="cookies"') :]
    assert 'href="/en/privacy/cookies/"' in section
    assert 'href="/en/consent/"' in section


def test_the_inventory_follows_the_published_version_not_the_file(client, db, edited_manifest):
    publish(
        edited_manifest(
            (
                '{ name = "uuid", lifetime = "13 months"',
                '{ name = "brevo_uuid", lifetime = "13 months"',
            )
        )
    )
    names = {c["name"] for c in client.get("/privacy/cookies.json").json()["cookies"]}
    assert "brevo_uuid" in names and "uuid" not in names


def test_gpc_json_says_the_signal_is_honoured_since_the_latest_version(client, db, coopo_path):
    from gardien.lib import clock

    with clock.frozen("2026-03-01T09:00:00Z"):
        publish(coopo_path)
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"gpc": True, "lastUpdate": "2026-03-01"}


def test_gpc_json_before_any_publication(client, db):
    assert client.get("/.well-known/gpc.json").json() == {"gpc": True}
