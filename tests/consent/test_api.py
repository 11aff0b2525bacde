"""POST /api/consent: one valid choice writes exactly one proof; anything else writes none.

Every request here goes through ``gardien.wsgi.application``, the callable gunicorn serves
(its lean path for the consent API), not through Django's test client and its full
middleware stack.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from gardien.consent.models import ConsentRecord
from gardien.lib import clock
from gardien.policy.services import publish

ID = re.compile(r"^[A-Za-z0-9_-]{32}$")  # signed: tests/consent/test_signed_ids.py


@pytest.fixture
def post_choice(served_post_choice):
    """POST a choice from the organisation's site, as the banner does, as gunicorn serves it."""
    return served_post_choice


@pytest.mark.parametrize(
    ("action", "decisions"),
    [
        ("accept_all", {"audience": True, "brevo_tracking": True}),
        ("refuse_all", {"audience": False, "brevo_tracking": False}),
        ("custom", {"audience": False, "brevo_tracking": True}),
        ("withdraw", {"audience": False, "brevo_tracking": False}),
        ("gpc", {"audience": False, "brevo_tracking": False}),
        ("close", {"audience": False, "brevo_tracking": False}),
    ],
)
def test_it_records_each_action_as_one_row(choice, post_choice, action, decisions):
    body = choice("en", action=action, decisions=decisions, gpc=action == "gpc")
    with clock.frozen("2026-11-26T10:00:00Z"):
        response = post_choice(body)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {"consent_id", "recorded_at", "version"}
    assert ID.match(answer["consent_id"])
    assert answer["recorded_at"] == "2026-11-26T10:00:00Z"
    assert answer["version"] == 1
    row = ConsentRecord.objects.get()
    assert row.consent_id == answer["consent_id"]
    assert row.recorded_at == dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
    assert row.action == action
    assert row.decisions == decisions
    assert row.policy_version == 1
    assert row.config_hash == body["config_hash"]
    assert row.lang == "en"
    assert row.gpc is (action == "gpc")


def test_it_keeps_the_consent_id_it_is_given(choice, post_choice):
    first = post_choice(choice()).json()["consent_id"]
    refusal = {"audience": False, "brevo_tracking": False}
    again = post_choice(choice(consent_id=first, action="withdraw", decisions=refusal))
    again = again.json()["consent_id"]
    assert again == first
    assert ConsentRecord.objects.filter(consent_id=first).count() == 2


def test_it_issues_a_new_id_when_none_is_given(choice, post_choice):
    body = choice()
    del body["consent_id"]
    ids = {post_choice(body).json()["consent_id"] for _ in range(3)}
    assert len(ids) == 3


def test_it_stores_nothing_about_the_visitor_but_the_choice(choice, post_choice):
    post_choice(choice(), REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/140")
    columns = {f.column for f in ConsentRecord._meta.get_fields()}
    assert columns == {
        "id",
        "consent_id",
        "recorded_at",
        "action",
        "decisions",
        "policy_version",
        "config_hash",
        "lang",
        "gpc",
        "request_id",
    }
    stored = json.dumps(list(ConsentRecord.objects.values()), default=str)
    assert "203.0.113.9" not in stored and "Firefox" not in stored


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    assert body["message"].endswith(".")
    assert ConsentRecord.objects.count() == 0


def test_malformed_json_is_refused(choice, post_choice):
    _refused(post_choice(b'{"action": "custom",'), 400, "malformed_json")


def test_invalid_utf8_is_refused(choice, post_choice):
    _refused(post_choice(b'{"action": "\xff"}'), 400, "malformed_json")


@pytest.mark.parametrize("body", ["[]", '"accept_all"', "42", "null"])
def test_a_body_that_is_not_an_object_is_refused(choice, post_choice, body):
    _refused(post_choice(body), 400, "not_an_object")


def test_an_unknown_key_is_refused(choice, post_choice):
    _refused(post_choice(choice(ip="203.0.113.9")), 400, "unknown_field")


def test_a_missing_key_is_refused(choice, post_choice):
    body = choice()
    del body["config_hash"]
    _refused(post_choice(body), 400, "missing_field")


def test_a_duplicated_key_is_refused(choice, post_choice):
    body = json.dumps(choice()).replace(
        '"brevo_tracking": false', '"brevo_tracking": false, "brevo_tracking": true'
    )
    _refused(post_choice(body), 400, "duplicate_key")


def test_an_unknown_purpose_is_refused(choice, post_choice):
    decisions = {"audience": True, "brevo_tracking": False, "ads": True}
    _refused(post_choice(choice(decisions=decisions)), 400, "unknown_purpose")


def test_a_purpose_without_a_switch_is_refused(choice, post_choice):
    decisions = {"audience": True, "brevo_tracking": False, "necessary": True}
    _refused(post_choice(choice(decisions=decisions)), 400, "unknown_purpose")


def test_a_missing_purpose_is_refused(choice, post_choice):
    _refused(post_choice(choice(decisions={"audience": True})), 400, "missing_purpose")


@pytest.mark.parametrize("value", [1, 0, "true", None, [True]])
def test_a_decision_that_is_not_a_boolean_is_refused(choice, post_choice, value):
    decisions = {"audience": True, "brevo_tracking": value}
    _refused(post_choice(choice(decisions=decisions)), 400, "invalid_decision")


def test_decisions_that_are_not_an_object_are_refused(choice, post_choice):
    _refused(post_choice(choice(decisions=["audience"])), 400, "invalid_decisions")


@pytest.mark.parametrize("action", ["accept", "ACCEPT_ALL", "", None, 1])
def test_a_wrong_action_is_refused(choice, post_choice, action):
    _refused(post_choice(choice(action=action)), 400, "invalid_action")


@pytest.mark.parametrize(
    ("action", "decisions"),
    [
        ("accept_all", {"audience": True, "brevo_tracking": False}),
        ("refuse_all", {"audience": False, "brevo_tracking": True}),
        # refuse_all, close, withdraw and gpc also object to the exempt purposes.
        ("refuse_all", {"audience": True, "brevo_tracking": False}),
        ("close", {"audience": True, "brevo_tracking": False}),
        ("withdraw", {"audience": True, "brevo_tracking": False}),
        ("gpc", {"audience": True, "brevo_tracking": False}),
    ],
)
def test_an_action_contradicting_its_decisions_is_refused(choice, post_choice, action, decisions):
    _refused(post_choice(choice(action=action, decisions=decisions)), 400, "inconsistent_decisions")


@pytest.mark.parametrize("lang", ["de", "FR", None, 1])
def test_a_wrong_language_is_refused(choice, post_choice, lang):
    _refused(post_choice({**choice(), "lang": lang}), 400, "invalid_language")


@pytest.mark.parametrize("version", ["1", 1.0, True, 0, -1])
def test_a_malformed_version_is_refused(choice, post_choice, version):
    _refused(post_choice(choice(version=version)), 400, "invalid_version")


@pytest.mark.parametrize("value", ["abc", "A" * 64, 12])
def test_a_malformed_config_hash_is_refused(choice, post_choice, value):
    _refused(post_choice(choice(config_hash=value)), 400, "invalid_config_hash")


@pytest.mark.parametrize(
    "consent_id", ["short", "a" * 23, "a" * 21 + "!", "a" * 21 + "=", 12345, False]
)
def test_a_bad_consent_id_is_refused(choice, post_choice, consent_id):
    _refused(post_choice(choice(consent_id=consent_id)), 400, "invalid_consent_id")


def test_a_non_boolean_gpc_is_refused(choice, post_choice):
    _refused(post_choice(choice(gpc="1")), 400, "invalid_gpc")


def test_an_oversized_body_is_refused_before_being_read(choice, post_choice):
    body = choice()
    body["padding"] = "x" * 5 * 1024
    _refused(post_choice(body), 413, "too_large")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_another_content_type_is_refused(choice, post_choice, content_type):
    _refused(
        post_choice(json.dumps(choice()), content_type=content_type), 415, "unsupported_media_type"
    )


def test_a_foreign_origin_is_refused(choice, post_choice):
    response = post_choice(choice(), origin="https://evil.example")
    _refused(response, 403, "forbidden")
    assert "Access-Control-Allow-Origin" not in response


def test_a_request_with_neither_origin_nor_csrf_token_is_refused(choice, post_choice):
    _refused(post_choice(choice(), origin=None), 403, "forbidden")


def test_a_version_that_is_not_published_is_a_conflict(choice, post_choice):
    _refused(post_choice(choice(version=2)), 409, "stale_configuration")


def test_a_hash_of_another_language_is_a_conflict(choice, post_choice, document):
    _refused(
        post_choice(choice("fr", config_hash=document("en")["hash"])), 409, "stale_configuration"
    )


def test_a_stale_hash_is_a_conflict_and_the_old_version_still_records(
    choice, post_choice, edited_manifest
):
    old = choice()
    publish(
        edited_manifest(('choice_lifetime = "12 months"', 'choice_lifetime = "6 months"')),
        note="Shorter",
    )
    _refused(post_choice({**old, "version": 2}), 409, "stale_configuration")
    # The visitor who saw version 1 a moment ago still gets a proof tied to version 1.
    response = post_choice(old)
    assert response.status_code == 201
    assert ConsentRecord.objects.get().policy_version == 1


def test_a_listed_origin_gets_cors_headers_and_its_preflight_204(served, choice, post_choice):
    response = post_choice(choice(), origin="https://coopo.fr")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://coopo.fr"

    preflight = served(
        "OPTIONS",
        "/api/consent",
        headers={
            "Origin": "https://coopo.fr",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://coopo.fr"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]


def test_a_foreign_preflight_is_refused(served, published):
    assert (
        served("OPTIONS", "/api/consent", headers={"Origin": "https://evil.example"}).status_code
        == 403
    )


def test_gardiens_own_pages_may_post_with_a_csrf_token(served, choice):
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    response = served(
        "POST",
        "/api/consent",
        json.dumps(choice()).encode(),
        headers={
            "Content-Type": "application/json",
            "Cookie": f"csrftoken={secret}",
            "X-CSRFToken": _mask_cipher_secret(secret),
        },
    )
    assert response.status_code == 201


def test_a_get_is_not_a_choice(served, published):
    response = served("GET", "/api/consent", headers={"Origin": "https://coopo.fr"})
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_a_valid_choice_costs_one_insert_and_no_other_query(
    choice, post_choice, django_assert_max_num_queries, monkeypatch
):
    from gardien.policy import services

    # The periodic look for a newer version must not fall inside the measure on a slow machine.
    monkeypatch.setattr(services, "LATEST_CHECK_SECONDS", 3600.0)
    body = choice()
    post_choice(body)  # warm the in-process configuration cache
    # Inside the test's transaction, atomic() adds a savepoint around the INSERT.
    with django_assert_max_num_queries(3) as captured:
        assert post_choice(body).status_code == 201
    statements = [
        q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"].upper()
    ]
    assert len(statements) == 1 and statements[0].startswith("INSERT"), statements


def test_a_version_published_by_another_process_is_accepted_at_once(
    choice, post_choice, edited_manifest
):
    import time

    from gardien.policy import services
    from gardien.policy.models import PolicyVersion

    publish(edited_manifest(('choice_lifetime = "12 months"', 'choice_lifetime = "6 months"')))
    body = choice()  # a visitor's banner read version 2 from an up-to-date process
    assert body["version"] == 2
    # This process, though, last looked a second ago and saw version 1 as the latest.
    services.invalidate()
    services._cache.latest = (1, PolicyVersion.objects.get(number=1).content_hash)
    services._cache.checked_at = time.monotonic() - 1.0
    response = post_choice(body)
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2
