"""The configuration document's "theme": the manifest's banner colours, or null."""

from __future__ import annotations

import pytest
from django.utils import translation

from gardien.policy.services import publish
from tests.consent.conftest import recomputed_hash

LIFETIME = 'choice_lifetime = "12 months"\n'


def themed(edited_manifest, *lines: str):
    return edited_manifest((LIFETIME, LIFETIME + "\n  [cookies.theme]\n" + "".join(lines)))


def test_without_a_theme_the_document_says_null(document):
    for lang in ("fr", "en"):
        assert document(lang)["theme"] is None


def test_the_manifests_colours_are_in_the_document_normalised(browser, db, edited_manifest):
    publish(themed(edited_manifest, '  brand = "#1D3D6B"\n', '  on_brand = "#FFF"\n'))

    for lang in ("fr", "en"):
        doc = browser.get(f"/consent/config/{lang}.json").json()
        assert doc["theme"] == {"brand": "#1d3d6b", "on_brand": "#ffffff"}
        assert doc["hash"] == recomputed_hash(doc)


def test_the_text_colour_defaults_to_white(browser, db, edited_manifest):
    publish(themed(edited_manifest, '  brand = "#1d3d6b"\n'))

    theme = browser.get("/consent/config/fr.json").json()["theme"]

    assert theme == {"brand": "#1d3d6b", "on_brand": "#ffffff"}


def test_a_new_colour_is_a_new_configuration_with_the_same_purposes(
    browser, published, edited_manifest
):
    first = browser.get("/consent/config/fr.json").json()
    assert publish(themed(edited_manifest, '  brand = "#1d3d6b"\n'), note="Colours") is not None
    blue = browser.get("/consent/config/fr.json").json()
    assert publish(themed(edited_manifest, '  brand = "#6b1d3d"\n'), note="Colours") is not None
    red = browser.get("/consent/config/fr.json").json()

    assert len({first["hash"], blue["hash"], red["hash"]}) == 3
    assert (blue["version"], red["version"]) == (2, 3)
    # Colours are not purposes: visitors who chose keep their choice.
    assert first["purposes_hash"] == blue["purposes_hash"] == red["purposes_hash"]
    assert red["changes"] == ""
    assert browser.get("/consent/config/2/fr.json").json() == blue


def test_a_pair_that_fails_wcag_aa_is_not_published(browser, published, edited_manifest):
    from gardien.manifest import ManifestError

    with (
        translation.override("en"),
        pytest.raises(ManifestError, match=r"1\.4\.11 \(Non-text Contrast, level AA\)"),
    ):
        publish(themed(edited_manifest, '  brand = "#ffcc00"\n', '  on_brand = "#000000"\n'))

    assert browser.get("/consent/config/fr.json").json()["version"] == 1
