"""How the banner reaches a visitor (docs/consent.md, "Loading the banner" and "Serving"): the
stable address redirecting to hashed, precompressed, immutable files, the configuration
compressed once, and the Global Privacy Control header read one way."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from gardien.consent import gpc

ORIGIN = "https://coopo.fr"
HASHED = re.compile(r"^/static/consent/gardien\.[0-9a-f]{12}\.(js|css)$")


def collect(root: Path) -> Path:
    """`gardien collectstatic` into ``root``, as a deployment runs it."""
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collect(tmp_path_factory.mktemp("static"))


@pytest.fixture
def deployed(collected: Path, settings: Any) -> Path:
    """Gardien serving the collected files (each client loads WhiteNoise anew)."""
    settings.STATIC_ROOT = collected
    return collected


def body(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def decoded(response: Any) -> bytes:
    raw = body(response)
    encoding = response.get("Content-Encoding")
    if encoding == "br":
        return bytes(brotli.decompress(raw))
    if encoding == "gzip":
        return gzip.decompress(raw)
    return raw


# --------------------------------------------------------------------------- GPC


@pytest.mark.parametrize(
    ("value", "signal"),
    [("1", True), ("1, 1", True), (" 1 ", True), ("0", False), ("1, 0", False), ("", False)],
)
def test_gpc_is_only_the_value_1_on_every_line(value, signal):
    assert gpc.from_header(value) is signal


def test_gpc_absent_is_no_signal(rf):
    assert gpc.from_header(None) is False
    assert gpc.signalled(rf.get("/")) is False
    assert gpc.signalled(rf.get("/", headers={"Sec-GPC": "1"})) is True


# --------------------------------------------------------------------------- script, style


@pytest.mark.parametrize("name", ["gardien.js", "gardien.css"])
def test_the_stable_address_redirects_to_the_hashed_file_for_five_minutes(
    client, db, deployed, name
):
    response = client.get(f"/consent/{name}")
    assert response.status_code == 302
    assert HASHED.match(response["Location"]), response["Location"]
    assert response["Location"].endswith(name.rpartition(".")[2])
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Content-Security-Policy" not in response
    assert "Content-Type" not in response  # no body: each header costs every first visit
    assert not response.cookies


def test_before_any_collectstatic_it_redirects_to_the_files_under_their_names(client, db):
    response = client.get("/consent/gardien.js", follow=True)
    assert response.redirect_chain == [("/static/consent/gardien.js", 302)]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert b'new URL("gardien.css", me.src)' in body(response)


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")]
)
@pytest.mark.parametrize("name", ["gardien.js", "gardien.css"])
def test_the_hashed_files_are_precompressed_immutable_and_cross_origin(
    client, db, deployed, name, accept, encoding
):
    hashed = client.get(f"/consent/{name}")["Location"]
    response = client.get(hashed, headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Access-Control-Allow-Origin" not in response  # a tag never reads it
    assert "Accept-Encoding" in response["Vary"]
    source = deployed / hashed.removeprefix("/static/")
    assert decoded(response) == source.read_bytes()


def test_the_hashed_script_loads_the_hashed_stylesheet_from_gardiens_origin(client, db, deployed):
    script = client.get(client.get("/consent/gardien.js")["Location"])
    stylesheet = client.get("/consent/gardien.css")["Location"]
    # An absolute path: resolved against the script's address, so Gardien's origin even on
    # another site's page, and no second trip through the stable address.
    assert f'new URL("{stylesheet}",me.src)'.encode() in body(script)


@pytest.mark.parametrize("name", ["gardien.js", "gardien.css"])
def test_the_collected_files_are_minified(client, db, deployed, name):
    source = Path(__file__).parents[2] / "gardien/consent/static/consent" / name
    hashed = deployed / client.get(f"/consent/{name}")["Location"].removeprefix("/static/")
    collected = hashed.read_text()
    assert len(collected) < 0.8 * len(source.read_text())
    assert "/*" not in collected
    assert "\n  " not in collected


def test_the_audience_beacon_is_hashed_minified_immutable_and_cross_origin(
    client, published, deployed
):
    script = client.get("/consent/config/fr.json").json()["audience"]["script"]
    path = script.removeprefix("http://127.0.0.1:8000")
    assert re.fullmatch(r"/static/audience/beacon\.[0-9a-f]{12}\.js", path)
    response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert response["Content-Encoding"] == "br"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    collected = decoded(response).decode()
    assert "/*" not in collected and "\n  " not in collected


@pytest.mark.parametrize(
    "url",
    [
        "demo-home",
        "demo-contact",
        "policy",
        "consent-page",
        "consent-inventory",
        "admin:login",
    ],
)
def test_every_page_renders_with_the_collected_files(client, published, deployed, url):
    response = client.get(reverse(url))
    assert response.status_code == 200
    for link in re.findall(rb'(?:href|src)="(/static/[^"]+)"', response.content):
        assert (deployed / link.decode().removeprefix("/static/")).is_file(), link


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, deflate", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
    ],
)
def test_the_configuration_is_compressed_as_the_browser_accepts(
    client, published, accept, encoding
):
    plain = client.get("/consent/config/fr.json")
    response = client.get("/consent/config/fr.json", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.get("Content-Encoding") == encoding
    assert decoded(response) == plain.content  # the same document, so the same hash
    assert response["ETag"] == f'"{plain.json()["hash"]}"'
    assert response["Vary"].startswith("Accept-Encoding, Origin, Sec-GPC")
    assert response["Cache-Control"] == "public, max-age=300"
    if encoding:
        assert len(body(response)) < len(plain.content) / 2
    assert "Content-Security-Policy" not in response


def test_an_unchanged_configuration_is_answered_304(client, published):
    first = client.get("/consent/config/fr.json", headers={"Accept-Encoding": "br"})
    again = client.get(
        "/consent/config/fr.json",
        headers={"Accept-Encoding": "br", "If-None-Match": first["ETag"], "Origin": ORIGIN},
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Access-Control-Allow-Origin"] == ORIGIN
    stale = client.get("/consent/config/fr.json", headers={"If-None-Match": '"0"'})
    assert stale.status_code == 200


def test_the_versioned_configuration_is_compressed_too(client, published):
    response = client.get("/consent/config/1/en.json", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(body(response)).startswith(b'{"version":1,')


def test_the_configuration_answers_only_the_sites_origins(client, published):
    site = client.get("/consent/config/fr.json", headers={"Origin": ORIGIN})
    assert site["Access-Control-Allow-Origin"] == ORIGIN
    other = client.get("/consent/config/fr.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.parametrize(("value", "signal"), [("1", True), ("1, 1", True), ("0", False)])
def test_the_configuration_tells_the_banner_of_the_gpc_header(client, published, value, signal):
    response = client.get("/consent/config/fr.json", headers={"Sec-GPC": value, "Origin": ORIGIN})
    if signal:
        assert response["Gardien-GPC"] == "1"
        assert response["Access-Control-Expose-Headers"] == "Gardien-GPC"
    else:
        assert "Gardien-GPC" not in response
        assert "Access-Control-Expose-Headers" not in response


def test_without_the_header_no_gpc_is_said(client, published):
    response = client.get("/consent/config/fr.json")
    assert "Gardien-GPC" not in response


def test_an_unknown_language_is_still_404(client, published):
    assert client.get("/consent/config/de.json").status_code == 404
    assert client.get("/consent/config/1/de.json").status_code == 404


def test_a_second_client_gets_the_same_compressed_bytes(published):
    first = Client().get("/consent/config/fr.json", headers={"Accept-Encoding": "br"})
    second = Client().get("/consent/config/fr.json", headers={"Accept-Encoding": "br"})
    assert body(first) == body(second)
