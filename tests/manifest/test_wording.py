"""The wording module words every value the manifest's schema allows, in both languages."""

from __future__ import annotations

import pytest

from gardien.manifest import retention, schema, wording


@pytest.mark.parametrize(
    ("literal", "say"),
    [
        (schema.LegalBasis, wording.legal_basis),
        (schema.ConsentKind, wording.consent_kind),
        (schema.Party, wording.party),
        (schema.Storage, wording.storage),
        (schema.ConsentMechanism, wording.consent_mechanism),
    ],
)
def test_every_value_of_the_schema_has_a_french_and_an_english_wording(literal, say):
    for value in wording.covers(literal):
        french, english = (say(value, lang) for lang in wording.LANGUAGES)
        assert french and english, value


def test_every_legal_basis_names_its_article():
    assert {wording.legal_basis_article(b) for b in wording.covers(schema.LegalBasis)} == {
        f"6(1)({letter})" for letter in "abcdef"
    }


def test_every_eea_code_has_a_name():
    assert [code for code in schema.EEA_CODES if wording.country(code, "fr") == code] == []


def test_a_session_lifetime_and_a_period_read_naturally():
    assert wording.lifetime(retention.SESSION, "fr") == "le temps de la session"
    assert wording.lifetime(retention.parse_lifetime("13 months"), "en") == "13 months"
    assert wording.lifetime(retention.parse_lifetime("1 year"), "fr") == "1 an"


def test_french_comes_first():
    assert wording.LANGUAGES == ("fr", "en")
    assert schema.Text(fr="Bonjour", en="Hello").get("de") == "Bonjour"
