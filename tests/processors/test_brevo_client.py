"""Gardien's Brevo client against the fake Brevo, which checks every request with Brevo's
own OpenAPI description."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from django.test import override_settings

from gardien.processors import brevo as brevo_module
from gardien.processors.brevo import (
    BrevoClient,
    BrevoError,
    BrevoRejected,
    BrevoUnavailable,
    RemoteContact,
)
from tests.fakes.brevo import (
    DEFAULT_LIST_ID,
    FakeBrevo,
    _error,
    fake_brevo,  # noqa: F401
)

LIST = DEFAULT_LIST_ID
OTHER_LIST = 12
ADDRESS = "camille.martin@exemple.fr"


@pytest.fixture
def brevo(fake_brevo: FakeBrevo) -> FakeBrevo:  # noqa: F811
    fake_brevo.lists[OTHER_LIST] = "Événements"
    return fake_brevo


@pytest.fixture
def client(brevo: FakeBrevo) -> Iterator[BrevoClient]:
    with BrevoClient(brevo.api_key, base_url=brevo.url, timeout=2.0) as client:
        yield client


def contact_path(email: str) -> str:
    from urllib.parse import quote

    return f"/v3/contacts/{quote(email, safe='')}?identifierType=email_id"


# --- subscribe ----------------------------------------------------------------------


def test_subscribe_creates_the_contact_in_the_list(client, brevo):
    client.subscribe(ADDRESS, LIST)

    assert brevo.contacts[ADDRESS]["list_ids"] == {LIST}
    assert brevo.contacts[ADDRESS]["blocklisted"] is False
    assert brevo.requests == [
        (
            "POST",
            "/v3/contacts",
            {"email": ADDRESS, "listIds": [LIST], "updateEnabled": True, "emailBlacklisted": False},
        )
    ]


def test_subscribe_updates_a_known_contact_keeps_its_lists_and_lifts_its_blocklisting(
    client, brevo
):
    brevo.add_contact(ADDRESS, list_ids=(OTHER_LIST,), blocklisted=True)

    client.subscribe(ADDRESS, LIST)
    client.subscribe(ADDRESS, LIST)  # twice is harmless

    assert brevo.contacts[ADDRESS]["list_ids"] == {LIST, OTHER_LIST}
    assert brevo.contacts[ADDRESS]["blocklisted"] is False


def test_subscribe_to_a_list_brevo_does_not_have_is_rejected_with_brevos_code(client, brevo):
    with pytest.raises(BrevoRejected) as caught:
        client.subscribe(ADDRESS, 999)

    assert caught.value.status == 400
    assert caught.value.code == "invalid_parameter"
    assert "List ID does not exist" in caught.value.message
    assert "createContact" in str(caught.value)
    assert ADDRESS not in brevo.contacts


# --- change_email -------------------------------------------------------------------


def test_change_email_renames_the_contact(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST,))

    client.change_email(ADDRESS, "camille@nouveau.fr")

    assert set(brevo.contacts) == {"camille@nouveau.fr"}
    assert brevo.contacts["camille@nouveau.fr"]["list_ids"] == {LIST}
    assert brevo.requests[-1] == (
        "PUT",
        contact_path(ADDRESS),
        {"attributes": {"EMAIL": "camille@nouveau.fr"}},
    )


def test_change_email_of_a_contact_brevo_does_not_hold_is_quietly_nothing(client, brevo):
    client.change_email(ADDRESS, "camille@nouveau.fr")

    assert brevo.contacts == {}
    assert len(brevo.requests) == 1


def test_change_email_to_an_address_of_another_contact_is_rejected(client, brevo):
    brevo.add_contact(ADDRESS)
    brevo.add_contact("camille@nouveau.fr")

    with pytest.raises(BrevoRejected) as caught:
        client.change_email(ADDRESS, "camille@nouveau.fr")

    assert caught.value.code == "duplicate_parameter"
    assert "@" not in str(caught.value)


# --- unsubscribe --------------------------------------------------------------------


def test_unsubscribe_takes_the_contact_out_of_the_list_only(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST, OTHER_LIST))

    client.unsubscribe(ADDRESS, LIST)

    assert brevo.contacts[ADDRESS]["list_ids"] == {OTHER_LIST}
    assert brevo.requests == [
        ("POST", f"/v3/contacts/lists/{LIST}/contacts/remove", {"emails": [ADDRESS]})
    ]


@pytest.mark.parametrize("in_brevo", [True, False], ids=["not-in-the-list", "unknown-contact"])
def test_unsubscribe_a_contact_that_is_not_in_the_list_is_done(client, brevo, in_brevo):
    if in_brevo:
        brevo.add_contact(ADDRESS, list_ids=(OTHER_LIST,))

    client.unsubscribe(ADDRESS, LIST)  # Brevo answers 400; the client looks, and is done

    assert [(method, path) for method, path, _ in brevo.requests] == [
        ("POST", f"/v3/contacts/lists/{LIST}/contacts/remove"),
        ("GET", contact_path(ADDRESS)),
    ]


def test_unsubscribe_raises_a_400_when_the_contact_is_still_in_the_list(client, brevo, monkeypatch):
    brevo.add_contact(ADDRESS, list_ids=(LIST,))
    monkeypatch.setattr(
        brevo,
        "_remove_from_list",
        lambda list_id, body: _error(400, "invalid_parameter", f"Invalid email {ADDRESS}"),
    )

    with pytest.raises(BrevoRejected) as caught:
        client.unsubscribe(ADDRESS, LIST)

    assert caught.value.code == "invalid_parameter"
    assert caught.value.message == "Invalid email [email]"
    assert "@" not in str(caught.value)


def test_unsubscribe_from_a_list_brevo_does_not_have_is_a_configuration_error(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST,))

    with pytest.raises(BrevoRejected) as caught:
        client.unsubscribe(ADDRESS, 999)

    assert (caught.value.status, caught.value.code) == (404, "document_not_found")
    assert brevo.contacts[ADDRESS]["list_ids"] == {LIST}


# --- blocklist, delete, get ---------------------------------------------------------


def test_blocklist_marks_the_contact_and_keeps_its_lists(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST,))

    client.blocklist(ADDRESS)

    assert brevo.contacts[ADDRESS]["blocklisted"] is True
    assert brevo.contacts[ADDRESS]["list_ids"] == {LIST}
    assert brevo.requests[-1] == ("PUT", contact_path(ADDRESS), {"emailBlacklisted": True})


def test_blocklist_a_contact_brevo_does_not_hold_is_nothing_to_do(client, brevo):
    client.blocklist(ADDRESS)

    assert brevo.contacts == {}


def test_delete_removes_the_contact_and_a_second_delete_is_a_success(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST,))

    client.delete(ADDRESS)
    client.delete(ADDRESS)

    assert brevo.contacts == {}
    assert [(m, p) for m, p, _ in brevo.requests] == [("DELETE", contact_path(ADDRESS))] * 2


def test_get_reads_the_contact_and_none_when_brevo_does_not_hold_it(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST, OTHER_LIST), blocklisted=True)

    assert client.get(ADDRESS) == RemoteContact(
        email=ADDRESS, list_ids=frozenset({LIST, OTHER_LIST}), blocklisted=True
    )
    assert client.get("personne@exemple.fr") is None


# --- list_members -------------------------------------------------------------------


def test_list_members_pages_through_the_whole_list(client, brevo):
    members = [f"abonne{i}@exemple.fr" for i in range(7)]
    for i, address in enumerate(members):
        brevo.add_contact(address, list_ids=(LIST,) if i != 3 else (OTHER_LIST,))
    expected = [a for i, a in enumerate(members) if i != 3]

    assert list(client.list_members(LIST, page_size=2)) == expected

    assert [path for _, path, _ in brevo.requests] == [
        f"/v3/contacts/lists/{LIST}/contacts?limit=2&offset={offset}&sort=asc"
        for offset in (0, 2, 4)
    ]


def test_list_members_asks_no_more_than_the_500_brevo_allows(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST,))

    assert list(client.list_members(LIST, page_size=10_000)) == [ADDRESS]
    assert list(client.list_members(OTHER_LIST)) == []

    assert "limit=500&" in brevo.requests[0].path


def test_list_members_of_a_list_brevo_does_not_have_is_rejected(client, brevo):
    with pytest.raises(BrevoRejected) as caught:
        list(client.list_members(999))

    assert caught.value.code == "document_not_found"


# --- addresses that need encoding ---------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["jean+newsletter@exemple.fr", "élève.zoë@exemple.fr", "ñandú+día@correo.es"],
)
def test_addresses_with_plus_and_non_ascii_local_parts_round_trip(client, brevo, address):
    client.subscribe(address, LIST)
    assert client.get(address) == RemoteContact(address, frozenset({LIST}), False)
    assert list(client.list_members(LIST)) == [address]
    assert brevo.requests[1].path == contact_path(address)
    assert "+" not in brevo.requests[1].path and "@" not in brevo.requests[1].path

    renamed = "ré" + address
    client.change_email(address, renamed)
    client.blocklist(renamed)
    assert client.get(renamed) == RemoteContact(renamed, frozenset({LIST}), True)
    client.unsubscribe(renamed, LIST)
    client.delete(renamed)

    assert brevo.contacts == {}


# --- failures -----------------------------------------------------------------------


def test_a_wrong_api_key_is_rejected_and_never_shown(brevo):
    with (
        BrevoClient("xkeysib-wrong-0123456789", base_url=brevo.url, timeout=2) as client,
        pytest.raises(BrevoRejected) as caught,
    ):
        client.subscribe(ADDRESS, LIST)

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert "GARDIEN_BREVO_API_KEY" in str(caught.value)
    assert "xkeysib" not in str(caught.value) and "xkeysib" not in repr(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 425])
def test_server_errors_are_worth_retrying(client, brevo, status):
    brevo.fail_next(1, status=status)

    with pytest.raises(BrevoUnavailable) as caught:
        client.subscribe(ADDRESS, LIST)
    assert caught.value.status == status
    assert caught.value.retry_after is None
    assert ADDRESS not in brevo.contacts

    client.subscribe(ADDRESS, LIST)  # the next attempt goes through
    assert brevo.contacts[ADDRESS]["list_ids"] == {LIST}


def test_too_many_requests_gives_brevos_retry_after_in_seconds(client, brevo):
    brevo.rate_limit_next(1, retry_after=3)

    with pytest.raises(BrevoUnavailable) as caught:
        client.get(ADDRESS)

    assert caught.value.status == 429
    assert caught.value.retry_after == 3.0


def test_retry_after_may_be_an_http_date(client, brevo):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    brevo.rate_limit_next(1, retry_after=email.utils.format_datetime(later, usegmt=True))

    with pytest.raises(BrevoUnavailable) as caught:
        client.delete(ADDRESS)

    assert caught.value.retry_after is not None
    assert 27 <= caught.value.retry_after <= 31


def test_without_retry_after_brevos_rate_limit_reset_is_used(client, brevo):
    brevo.rate_limit_next(1, retry_after=None, reset=42)

    with pytest.raises(BrevoUnavailable) as caught:
        client.unsubscribe(ADDRESS, LIST)

    assert caught.value.retry_after == 42.0


def test_a_timeout_is_worth_retrying_and_the_retry_is_harmless(brevo):
    brevo.slow_next(1, 2.0)

    with BrevoClient(brevo.api_key, base_url=brevo.url, timeout=0.5) as client:
        with pytest.raises(BrevoUnavailable) as caught:
            client.subscribe(ADDRESS, LIST)
        assert caught.value.status is None
        assert "in time" in str(caught.value)

        # Brevo did the work but the answer was lost: doing it again changes nothing.
        client.subscribe(ADDRESS, LIST)
    assert brevo.contacts[ADDRESS]["list_ids"] == {LIST}


def test_brevo_down_is_worth_retrying_and_up_again_on_the_same_url(client, brevo):
    brevo.down()
    with pytest.raises(BrevoUnavailable) as caught:
        client.subscribe(ADDRESS, LIST)
    assert caught.value.status is None
    assert "could not be reached" in str(caught.value)

    brevo.up()
    client.subscribe(ADDRESS, LIST)
    assert ADDRESS in brevo.contacts


def test_no_email_address_nor_api_key_in_any_error(brevo, monkeypatch):
    errors: list[BrevoError] = []

    def collect(call) -> None:
        with pytest.raises(BrevoError) as caught:
            call()
        errors.append(caught.value)

    with BrevoClient(brevo.api_key, base_url=brevo.url, timeout=0.5) as client:
        brevo.add_contact(ADDRESS)
        brevo.add_contact("autre@exemple.fr")
        collect(lambda: client.change_email(ADDRESS, "autre@exemple.fr"))
        collect(lambda: client.subscribe(ADDRESS, 999))
        brevo.fail_next(1, 503)
        collect(lambda: client.get(ADDRESS))
        brevo.rate_limit_next(1)
        collect(lambda: client.delete(ADDRESS))
        brevo.slow_next(1, 2.0)
        collect(lambda: client.blocklist(ADDRESS))
        monkeypatch.setattr(
            brevo,
            "_list_contacts",
            lambda list_id, params: _error(
                400, "invalid_parameter", f"{ADDRESS} and key {brevo.api_key} are wrong"
            ),
        )
        collect(lambda: list(client.list_members(LIST)))
        brevo.down()
        collect(lambda: client.unsubscribe(ADDRESS, LIST))
    with BrevoClient("xkeysib-wrong", base_url=brevo.url) as wrong:
        brevo.up()
        collect(lambda: wrong.get(ADDRESS))

    assert len(errors) == 8
    for error in errors:
        texts = [str(error), repr(error), getattr(error, "message", "")]
        for text in texts:
            assert not re.search(r"\S@\S", text), text
            assert "xkeysib" not in text, text
        # No chained httpx exception (whose request holds the URL, and so the address).
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__


def test_httpx_request_logs_hold_no_address(client, brevo, caplog):
    caplog.set_level(logging.INFO, logger="httpx")

    client.subscribe("jean+news@exemple.fr", LIST)
    client.get("jean+news@exemple.fr")
    client.delete("élève@exemple.fr")

    logged = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(logged) == 3
    assert "/v3/contacts/[email]" in logged[1]
    for message in logged:
        assert "@" not in message and "%40" not in message.upper(), message


# --- wiring -------------------------------------------------------------------------


def test_from_settings_is_none_without_an_api_key():
    with override_settings(GARDIEN_BREVO_API_KEY=""):
        assert BrevoClient.from_settings() is None


def test_from_settings_uses_gardiens_brevo_settings(brevo):
    with override_settings(**brevo.settings):
        client = BrevoClient.from_settings()
    assert client is not None
    with client:
        client.subscribe(ADDRESS, brevo.settings["GARDIEN_BREVO_LIST_ID"])
    assert ADDRESS in brevo.contacts


def test_list_id_is_the_setting():
    with override_settings(GARDIEN_BREVO_LIST_ID=42):
        assert brevo_module.list_id() == 42


def test_an_empty_api_key_is_refused_at_construction():
    with pytest.raises(ValueError, match="GARDIEN_BREVO_API_KEY"):
        BrevoClient("")


def test_requests_carry_the_key_json_accept_and_the_timeout():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": 1})

    client = BrevoClient(
        "xkeysib-abc",
        base_url="https://api.brevo.com/v3/",
        timeout=4,
        transport=httpx.MockTransport(handler),
    )
    client.subscribe("a+b@exemple.fr", 3)

    (request,) = seen
    assert str(request.url) == "https://api.brevo.com/v3/contacts"
    assert request.headers["api-key"] == "xkeysib-abc"
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert request.extensions["timeout"] == {"connect": 4, "read": 4, "write": 4, "pool": 4}
    assert json.loads(request.content)["email"] == "a+b@exemple.fr"


# --- the fake itself ----------------------------------------------------------------


def test_the_fake_rejects_and_records_a_request_outside_brevos_description(brevo):
    with httpx.Client(base_url=brevo.url, headers={"api-key": brevo.api_key}) as http:
        answer = http.post("/contacts", json={"email": ADDRESS, "listIds": str(LIST)})
        too_many = http.get(f"/contacts/lists/{LIST}/contacts", params={"limit": 501})
    anonymous = httpx.get(f"{brevo.url}/contacts/lists/{LIST}")

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_parameter"
    assert too_many.status_code == 400
    assert anonymous.status_code == 401
    assert ADDRESS not in brevo.contacts
    assert len(brevo.violations) == 3
    assert "listIds" in brevo.violations[0] or "array" in brevo.violations[0]
    assert "maximum of 500" in brevo.violations[1]
    assert "Security" in brevo.violations[2]
    brevo.violations.clear()  # expected: the fixture must not fail this test


def test_the_fake_checks_its_own_answers_against_brevos_description(client, brevo, monkeypatch):
    brevo.add_contact(ADDRESS)
    original = brevo._get_contact

    def without_statistics(email):
        answer = original(email)
        body = {k: v for k, v in answer.body.items() if k != "statistics"}
        return answer._replace(body=body)

    monkeypatch.setattr(brevo, "_get_contact", without_statistics)

    client.get(ADDRESS)

    assert len(brevo.violations) == 1
    assert "response 200" in brevo.violations[0]
    assert "statistics" in brevo.violations[0]
    brevo.violations.clear()


def test_the_fake_answers_a_list_like_brevo(client, brevo):
    brevo.add_contact(ADDRESS, list_ids=(LIST,))
    with httpx.Client(base_url=brevo.url, headers={"api-key": brevo.api_key}) as http:
        answer = http.get(f"/contacts/lists/{LIST}")

    assert answer.status_code == 200
    assert answer.json()["uniqueSubscribers"] == 1
