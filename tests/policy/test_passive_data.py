"""The policy's field tables tell what a person gives from what is collected automatically,
and for the latter how to object or what limits it, never "optional, no consequence"."""

from __future__ import annotations

import re

import pytest

from tests.policy.conftest import visible_text


def field_rows(html: str, activity: str) -> dict[str, list[str]]:
    """The data table of one activity: the row's data label -> its two other cells."""
    section = re.search(
        rf'<section class="activity" id="activity-{activity}".*?</section>', html, flags=re.S
    )
    assert section is not None, activity
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section.group(0), flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        if len(cells) == 3:
            label = visible_text(re.sub(r"<br>.*", "", cells[0], flags=re.S))
            found[label] = [visible_text(c) for c in cells[1:]]
    return found


ENGLISH = {
    ("audience", "Pages viewed, date of the visit, referring site"): [
        "Collected automatically",
        "You can object to it at any time in the cookie settings. Page addresses without "
        "their parameters; no IP address kept. Kept: 25 months after collection.",
    ],
    ("audience", "Random audience measurement identifier (the browser's local storage)"): [
        "Collected automatically",
        "You can object to it at any time in the cookie settings. "
        "Kept: 25 months after collection.",
    ],
    ("brevo_tracking", "Brevo tracker identifier (cookie)"): [
        "Collected automatically",
        "Collected only if you accept it in the cookie settings, where you can withdraw your "
        "agreement at any time. Kept: until consent is withdrawn or 13 months after the "
        "choice is made.",
    ],
    ("security", "IP address"): [
        "Collected automatically",
        "You can object to it, for reasons relating to your situation, by writing to us "
        "(GDPR Art. 21). Gardien's logs keep only its beginning (the last number of an IPv4 "
        "address is removed). Kept: 6 months after collection.",
    ],
    ("consent", "Random identifier of your choice"): [
        "Collected automatically",
        "You cannot decline it (legal basis: legal obligation). "
        "Kept: 25 months after the choice is made.",
    ],
    ("contact", "Email address"): ["You give it (mandatory)", "We cannot reply to you."],
    ("rights", "Postal address"): ["You give it (optional)", "Nothing: this data is optional."],
}

FRENCH = {
    ("audience", "Pages consultées, date de la visite, site d'origine"): [
        "Collectée automatiquement",
        "Vous pouvez vous y opposer à tout moment dans les réglages des cookies. Adresses des "
        "pages sans leurs paramètres ; aucune adresse IP conservée. "
        "Conservation : 25 mois après la collecte.",
    ],
    ("security", "Adresse IP"): [
        "Collectée automatiquement",
        "Vous pouvez vous y opposer, pour des raisons tenant à votre situation, en nous "
        "écrivant (article 21 du RGPD). Les journaux de Gardien n'en gardent que le début (le "
        "dernier nombre d'une adresse IPv4 est effacé). Conservation : 6 mois après la collecte.",
    ],
    ("contact", "Adresse électronique"): [
        "Vous la fournissez (obligatoire)",
        "Nous ne pouvons pas vous répondre.",
    ],
}


@pytest.mark.parametrize(("url", "expected"), [("/en/privacy/", ENGLISH), ("/fr/privacy/", FRENCH)])
def test_each_row_says_how_the_data_is_had_and_how_to_object(client, published, url, expected):
    html = client.get(url).text
    for (activity, label), cells in expected.items():
        assert field_rows(html, activity).get(label) == cells, (activity, label)


@pytest.mark.parametrize("url", ["/en/privacy/", "/fr/privacy/"])
def test_nothing_collected_automatically_is_called_optional(client, published, coopo_manifest, url):
    html = client.get(url).text
    lang = url[1:3]
    automatic = 0
    for activity in coopo_manifest.activities:
        rows = field_rows(html, activity.id)
        for f in activity.fields:
            how, consequence = rows[f.label.get(lang)]
            if f.input == "generated":
                automatic += 1
                assert how in ("Collected automatically", "Collectée automatiquement")
                assert "optional" not in consequence and "facultati" not in consequence
                assert consequence.strip() not in ("", "—")
    assert automatic == 10  # IP address, cookie ids, pages viewed, logs…


def test_the_table_heads_name_both_kinds(client, published):
    text = visible_text(client.get("/en/privacy/").text)
    assert "Data How we get it If you do not provide it, or how to object" in text
    assert "Mandatory?" not in text


IP_FIELD = """
  [[activities.fields]]
  name = "ip_address"
  label = { fr = "Adresse IP", en = "IP address" }
  categories = ["user.device.ip_address"]
  required = false
  input = "generated"
"""
CONTACT_MESSAGE_END = (
    '  if_missing = { fr = "Nous ne savons pas ce que vous nous demandez.", '
    'en = "We do not know what you are asking us." }\n'
)


def test_the_notice_beside_a_form_does_not_call_automatic_data_optional(
    client, db, edited_manifest
):
    from gardien.policy.services import publish

    publish(edited_manifest((CONTACT_MESSAGE_END, CONTACT_MESSAGE_END + IP_FIELD)), note="IP")
    notes = re.search(r'<ul class="field-notes">(.*?)</ul>', client.get("/en/contact/").text, re.S)
    assert notes is not None
    items = [visible_text(li) for li in re.findall(r"<li>(.*?)</li>", notes.group(1), re.S)]
    assert items[-1] == (
        "IP address is collected automatically. You can object to it, for reasons relating to "
        "your situation, by writing to us (GDPR Art. 21). Kept: 3 years after the last contact."
    )
    assert "IP address is optional." not in items
