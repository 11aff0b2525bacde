"""/consent/: the cookie settings without JavaScript, and the GPC signal."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote

import pytest
from django.test import Client

from gardien.consent.models import ConsentRecord
from gardien.lib import clock
from gardien.policy.services import publish
from tests.policy.test_every_page import footer_links

THIRTEEN_MONTHS = 13 * 31 * 86400


def _form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token, "the form has no CSRF token"
    fields["csrfmiddlewaretoken"] = token.group(1)
    return fields


def _boxes(html: str) -> dict[str, bool]:
    return {
        m.group(2): bool(m.group(3))
        for m in re.finditer(
            r'<input type="checkbox" name="(purpose)" value="([^"]+)"( checked)?>', html
        )
    }


@pytest.fixture
def visitor(db) -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize(
    ("url", "lang"), [("/consent/", "fr"), ("/fr/consent/", "fr"), ("/en/consent/", "en")]
)
def test_it_shows_one_box_per_purpose_with_a_choice_none_pre_ticked_for_consent(
    visitor, published, url, lang
):
    response = visitor.get(url)
    assert response.status_code == 200
    assert response["Content-Language"] == lang
    assert _boxes(response.text) == {"audience": True, "brevo_tracking": False}
    for value in ("accept_all", "refuse_all", "custom"):
        assert f'<button type="submit" name="action" value="{value}">' in response.text


def test_the_three_buttons_look_alike(visitor, published):
    html = visitor.get("/en/consent/").text
    buttons = re.findall(r"<button([^>]*)>([^<]*)</button>", html)
    assert [label for _attrs, label in buttons] == ["Accept all", "Refuse all", "Save my choices"]
    assert len({re.sub(r'value="\w+"', "", attrs) for attrs, _label in buttons}) == 1


def test_the_page_has_no_inline_script_or_style_and_keeps_the_footer(visitor, published):
    html = visitor.get("/en/consent/").text
    assert "<script" not in html
    assert "<style" not in html and " style=" not in html
    links = footer_links(html)
    assert any((link.get("href") or "").endswith("/privacy/") for link in links)
    settings_links = [link for link in links if "data-gardien-open-settings" in link]
    assert [link["href"] for link in settings_links] == ["/en/consent/"]


def _choose(visitor: Client, url: str, action: str, *purposes: str, **headers: str):
    page = visitor.get(url, headers=headers)
    data = {**_form(page.text), "action": action, "purpose": list(purposes)}
    return visitor.post(url, data, headers=headers)


def test_saving_records_a_proof_and_sets_the_contract_cookie(visitor, published):
    with clock.frozen("2026-11-26T10:00:00Z"):
        response = _choose(visitor, "/en/consent/", "custom", "brevo_tracking")

    assert response.status_code == 200
    row = ConsentRecord.objects.get()
    assert row.action == "custom"
    assert row.decisions == {"audience": False, "brevo_tracking": True}
    assert row.lang == "en" and row.policy_version == 1 and row.gpc is False
    assert row.consent_id in response.text
    cookie = response.cookies["eu-consent"]
    assert cookie["path"] == "/"
    assert cookie["samesite"] == "Lax"
    assert not cookie["domain"]
    assert int(cookie["max-age"]) == 365 * 86400 <= THIRTEEN_MONTHS
    value = json.loads(unquote(cookie.value))
    doc = visitor.get("/consent/config/en.json").json()
    assert (
        value
        == {
            "id": row.consent_id,
            "d": 1795687200,  # 2026-11-26T10:00:00Z
            "v": 1,
            "h": doc["purposes_hash"][:12],
            "p": {"audience": 0, "brevo_tracking": 1},
        }
    )


def test_accept_and_refuse_all_set_every_box(visitor, published):
    _choose(visitor, "/fr/consent/", "accept_all")
    _choose(Client(enforce_csrf_checks=True), "/fr/consent/", "refuse_all", "brevo_tracking")
    accepted, refused = ConsentRecord.objects.order_by("recorded_at", "pk")
    assert accepted.decisions == {"audience": True, "brevo_tracking": True}
    assert refused.decisions == {"audience": False, "brevo_tracking": False}


def test_a_second_choice_keeps_the_consent_id_and_shows_the_saved_choice(visitor, published):
    _choose(visitor, "/en/consent/", "accept_all")
    again = visitor.get("/en/consent/")
    first = ConsentRecord.objects.get()
    assert first.consent_id in again.text
    assert _boxes(again.text) == {"audience": True, "brevo_tracking": True}
    _choose(visitor, "/en/consent/", "refuse_all")
    # "Refuse all" after a consent is a withdrawal, as the banner records it.
    rows = ConsentRecord.objects.filter(consent_id=first.consent_id).order_by("pk")
    assert [(r.action, r.decisions["brevo_tracking"]) for r in rows] == [
        ("accept_all", True),
        ("withdraw", False),
    ]
    _choose(visitor, "/en/consent/", "refuse_all")
    assert ConsentRecord.objects.order_by("-pk").first().action == "refuse_all"


def test_a_choice_saved_by_the_banner_before_any_answer_has_no_id_yet(visitor, published):
    doc = visitor.get("/consent/config/en.json").json()
    choice = {
        "id": None,
        "d": int(clock.now().timestamp()),
        "v": 1,
        "h": doc["purposes_hash"][:12],
        "p": {"audience": 0, "brevo_tracking": 1},
    }
    visitor.cookies["eu-consent"] = quote(json.dumps(choice, separators=(",", ":")))
    page = visitor.get("/en/consent/")
    assert _boxes(page.text) == {"audience": False, "brevo_tracking": True}
    assert "None" not in page.text
    _choose(visitor, "/en/consent/", "custom", "brevo_tracking")
    assert ConsentRecord.objects.get().decisions == {"audience": False, "brevo_tracking": True}


def test_a_post_without_csrf_token_records_nothing(visitor, published):
    response = visitor.post("/en/consent/", {"action": "accept_all"})
    assert response.status_code == 403
    assert ConsentRecord.objects.count() == 0


def test_a_form_from_an_older_version_asks_again(visitor, published, edited_manifest):
    page = visitor.get("/en/consent/")
    data = {**_form(page.text), "action": "accept_all"}
    data["config_hash"] = "0" * 64
    response = visitor.post("/en/consent/", data)
    assert response.status_code == 409
    assert "changed while you were choosing" in response.text
    assert ConsentRecord.objects.count() == 0
    assert "eu-consent" not in response.cookies


def test_an_unknown_action_records_nothing(visitor, published):
    page = visitor.get("/en/consent/")
    response = visitor.post("/en/consent/", {**_form(page.text), "action": "sell_everything"})
    assert response.status_code == 400
    assert "could not be saved" in response.text
    assert ConsentRecord.objects.count() == 0


def test_gpc_is_shown_and_pre_set_as_refusal(visitor, published):
    page = visitor.get("/en/consent/", headers={"Sec-GPC": "1"})
    assert "Global Privacy Control" in page.text
    assert _boxes(page.text) == {"audience": False, "brevo_tracking": False}
    assert "Sec-GPC" in page["Vary"]
    _choose(visitor, "/en/consent/", "custom", **{"Sec-GPC": "1"})
    row = ConsentRecord.objects.get()
    assert row.gpc is True
    assert row.decisions == {"audience": False, "brevo_tracking": False}


@pytest.mark.parametrize("value", ["0", "true", "yes", "1, 0", "11", ""])
def test_only_sec_gpc_1_is_the_signal(visitor, published, value):
    page = visitor.get("/en/consent/", headers={"Sec-GPC": value})
    assert "Global Privacy Control" not in page.text
    assert _boxes(page.text) == {"audience": True, "brevo_tracking": False}
    _choose(visitor, "/en/consent/", "custom", "audience", **{"Sec-GPC": value})
    assert ConsentRecord.objects.get().gpc is False


@pytest.mark.parametrize("value", ["1, 1", " 1 ", "1,1"])
def test_a_repeated_or_padded_sec_gpc_1_is_the_signal(visitor, published, value):
    """Header lines sent twice reach Gardien joined with ", " (the GPC specification
    defines the value "1" only): the signal counts when every copy says 1."""
    page = visitor.get("/en/consent/", headers={"Sec-GPC": value})
    assert _boxes(page.text) == {"audience": False, "brevo_tracking": False}
    _choose(visitor, "/en/consent/", "custom", **{"Sec-GPC": value})
    assert ConsentRecord.objects.get().gpc is True


def test_an_opt_in_despite_gpc_is_recorded_as_such(visitor, published):
    _choose(visitor, "/en/consent/", "accept_all", **{"Sec-GPC": "1"})
    row = ConsentRecord.objects.get()
    assert row.action == "accept_all" and row.gpc is True


def test_the_cookie_lives_as_long_as_the_manifest_says(visitor, db, edited_manifest):
    publish(edited_manifest(('choice_lifetime = "12 months"', 'choice_lifetime = "13 months"')))
    response = _choose(visitor, "/en/consent/", "refuse_all")
    assert int(response.cookies["eu-consent"]["max-age"]) == 393 * 86400 <= THIRTEEN_MONTHS


def test_a_choice_for_outdated_purposes_is_not_shown_as_current(
    visitor, published, edited_manifest
):
    _choose(visitor, "/en/consent/", "accept_all")
    publish(
        edited_manifest(
            (
                'name = { fr = "Suivi Brevo (facultatif)", en = "Brevo tracking (optional)" }',
                'name = { fr = "Suivi Brevo", en = "Brevo tracking" }',
            )
        )
    )
    page = visitor.get("/en/consent/")
    assert _boxes(page.text) == {"audience": True, "brevo_tracking": False}
    first = ConsentRecord.objects.get()
    assert first.consent_id not in page.text
    # The new choice still continues the earlier one under the same consent id.
    _choose(visitor, "/en/consent/", "refuse_all")
    assert [
        r.policy_version
        for r in ConsentRecord.objects.filter(consent_id=first.consent_id).order_by("pk")
    ] == [1, 2]


def test_it_answers_503_before_any_publication(visitor, db):
    assert visitor.get("/en/consent/").status_code == 503
