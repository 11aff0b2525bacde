"""Login throttling: an address that fails waits longer each time, then is refused; nobody
can lock an account's owner out from elsewhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client, RequestFactory

from gardien.backoffice.models import LoginAttempt
from gardien.backoffice.throttle import (
    FREE_FAILURES,
    NETWORK_FACTOR,
    address_key,
    audit_key,
    client_ip,
    delay,
    lockout,
    network_key,
    pair_key,
    scope_key,
    username_key,
)
from gardien.lib import clock
from tests.backoffice.helpers import (
    REFUSED,
    is_logged_in,
    new_client,
    normalised,
    post_login,
)

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def fail(client, username, times, **extra):
    for _ in range(times):
        response = post_login(client, username, "Not-The-Password-0", "000000", **extra)
        assert response.status_code == 200
        assert REFUSED in response.text


def test_twenty_addresses_failing_do_not_lock_the_dpo_out(make_account):
    """The attack of issue 14: wrong passwords for the DPO's username from 20 addresses,
    then about 80 an hour, while the DPO logs in from their own address."""
    account = make_account("dpo", "dpo")
    attacker = new_client()
    with clock.frozen(START):
        for i in range(20):
            fail(attacker, "dpo", 1, REMOTE_ADDR=f"192.0.2.{i + 1}")
        response = post_login(
            new_client(), "dpo", account.password, account.code(), REMOTE_ADDR="198.51.100.7"
        )
        assert response.status_code == 302
    for minute in range(0, 60, 3):  # 20 addresses, 4 tries each, through the next hour
        with clock.frozen(START + dt.timedelta(minutes=1 + minute)):
            for i in range(4):
                fail(attacker, "dpo", 1, REMOTE_ADDR=f"192.0.2.{(minute + i) % 20 + 1}")
    with clock.frozen(START + dt.timedelta(minutes=61)):
        client = new_client()
        code = account.two_factor.backup_codes[0]  # the app's code of a minute ago is spent
        response = post_login(client, "dpo", account.password, code, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302
        assert is_logged_in(client)


def test_an_address_that_keeps_failing_on_an_account_waits_longer_each_time(make_account):
    account = make_account("alice", "staff")
    client = new_client()
    with clock.frozen(START):
        fail(client, "alice", FREE_FAILURES - 1)  # typing mistakes cost no wait
        assert post_login(client, "alice", account.password, account.code()).status_code == 302
    assert [delay(n).total_seconds() for n in range(1, 8)] == [0, 0, 2, 4, 8, 16, 32]
    assert delay(40) == dt.timedelta(minutes=15)  # at most the lockout
    at = START + dt.timedelta(hours=1)
    waited = []
    for failures in range(FREE_FAILURES, FREE_FAILURES + 4):
        client = new_client()
        with clock.frozen(at):
            fail(client, "alice", 1 if waited else FREE_FAILURES)
        wait = delay(failures)
        waited.append(wait.total_seconds())
        with clock.frozen(at + wait - dt.timedelta(seconds=1)):
            # Within the wait, even the right password and code are refused, unchecked.
            response = post_login(client, "alice", account.password, account.code())
            assert REFUSED in response.text
            assert not is_logged_in(client)
        at += wait
    assert waited == [2, 4, 8, 16]
    with clock.frozen(at):
        code = account.two_factor.backup_codes[0]
        assert post_login(client, "alice", account.password, code).status_code == 302


def test_an_address_hammering_one_account_is_refused(make_account):
    account = make_account("bob", "viewer")
    client = new_client()
    with clock.frozen(START):
        for _ in range(20):  # failures, then refusals within the wait: all count
            post_login(client, "bob", "Not-The-Password-0", "000000", REMOTE_ADDR="203.0.113.9")
        assert LoginAttempt.objects.get(key=address_key("203.0.113.9")).locked_until
    with clock.frozen(START + dt.timedelta(minutes=14)):
        refused = post_login(
            client, "bob", account.password, account.code(), REMOTE_ADDR="203.0.113.9"
        )
        assert REFUSED in refused.text
        assert "Wait 15 minutes and try again." in refused.text
        assert not is_logged_in(client)
        elsewhere = post_login(
            client, "bob", account.password, account.code(), REMOTE_ADDR="198.51.100.1"
        )
        assert elsewhere.status_code == 302


def test_the_address_locks_whatever_the_username(make_account):
    account = make_account("carol", "viewer")
    client = new_client()
    with clock.frozen(START):
        for i in range(20):
            fail(client, f"guess-{i}", 1, REMOTE_ADDR="203.0.113.9")
        locked = post_login(
            client, "carol", account.password, account.code(), REMOTE_ADDR="203.0.113.9"
        )
        assert REFUSED in locked.text
        assert not is_logged_in(client)
        elsewhere = post_login(
            client, "carol", account.password, account.code(), REMOTE_ADDR="203.0.113.10"
        )
        assert elsewhere.status_code == 302


def test_the_refusal_is_identical_for_unknown_and_known_usernames(make_account, outsider):
    account = make_account("dave", "staff")
    with clock.frozen(START):
        unknown = post_login(new_client(), "erin", "Not-The-Password-0", "123456")
        wrong_password = post_login(new_client(), "dave", "Not-The-Password-0", "123456")
        wrong_code = post_login(new_client(), "dave", account.password, "000000")
        wrong_backup_code = post_login(new_client(), "dave", account.password, "zzzzzzzz")
        no_role = post_login(new_client(), "outsider", outsider.password, outsider.code())
    with clock.frozen(START + dt.timedelta(minutes=1)):
        fail(new_client(), "dave", 20, REMOTE_ADDR="192.0.2.99")
        locked = post_login(
            new_client(), "dave", account.password, account.code(), REMOTE_ADDR="192.0.2.99"
        )
        fail(new_client(), "dave", FREE_FAILURES, REMOTE_ADDR="192.0.2.98")
        delayed = post_login(
            new_client(), "dave", account.password, account.code(), REMOTE_ADDR="192.0.2.98"
        )
    reference = normalised(unknown.text, "erin")
    assert REFUSED in reference
    for username, response in [
        ("dave", wrong_password),
        ("dave", wrong_code),
        ("dave", wrong_backup_code),
        ("outsider", no_role),
        ("dave", locked),
        ("dave", delayed),
    ]:
        assert response.status_code == unknown.status_code == 200
        assert normalised(response.text, username) == reference
        assert sorted(response.headers) == sorted(unknown.headers)
    # Nothing tells that "dave" exists or that its password was right.
    assert 'name="otp_device"' not in wrong_code.text
    assert account.password not in wrong_code.text


def test_success_forgives_only_its_own_address(make_account):
    """The owner logging in does not give the addresses failing on their account a fresh
    budget: only the address that got in is forgiven."""
    account = make_account("frank", "dpo")
    with clock.frozen(START):
        fail(new_client(), "frank", 5, REMOTE_ADDR="192.0.2.5")  # 3 failures, then waits
        client = new_client()
        fail(client, "frank", FREE_FAILURES - 1)
        assert post_login(client, "frank", account.password, account.code()).status_code == 302
        assert not LoginAttempt.objects.filter(key__in=[address_key("127.0.0.1")]).exists()
        assert not LoginAttempt.objects.filter(key=pair_key("frank", "127.0.0.1")).exists()
        assert LoginAttempt.objects.get(key=username_key("frank")).failures == FREE_FAILURES
        assert LoginAttempt.objects.get(key=pair_key("frank", "192.0.2.5")).failures == 3
        assert LoginAttempt.objects.get(key=network_key("127.0.0.1")).failures == 0
    with clock.frozen(START + delay(FREE_FAILURES) - dt.timedelta(seconds=1)):
        # The other address still waits, even with the right password and code.
        attacker = new_client()
        code = account.two_factor.backup_codes[0]
        response = post_login(attacker, "frank", account.password, code, REMOTE_ADDR="192.0.2.5")
        assert REFUSED in response.text
        assert not is_logged_in(attacker)


def test_failures_are_forgotten_after_a_day_without_any(make_account):
    account = make_account("oscar", "staff")
    with clock.frozen(START):
        fail(new_client(), "oscar", FREE_FAILURES, REMOTE_ADDR="192.0.2.60")
    with clock.frozen(START + dt.timedelta(days=1, seconds=1)):
        fail(new_client(), "oscar", 1, REMOTE_ADDR="192.0.2.60")
        assert LoginAttempt.objects.get(key=username_key("oscar")).failures == 1
        assert LoginAttempt.objects.get(key=pair_key("oscar", "192.0.2.60")).failures == 1
        assert LoginAttempt.objects.get(key=address_key("192.0.2.60")).failures == 1
        response = post_login(
            new_client(), "oscar", account.password, account.code(), REMOTE_ADDR="192.0.2.60"
        )
        assert response.status_code == 302


def test_the_table_holds_neither_usernames_nor_addresses(db):
    with clock.frozen(START):
        fail(new_client(), "grace@example.org", 3, REMOTE_ADDR="192.0.2.44")
    rows = list(LoginAttempt.objects.values_list("key", flat=True))
    assert sorted(rows) == sorted(
        [
            username_key("grace@example.org"),
            address_key("192.0.2.44"),
            network_key("192.0.2.44"),
            pair_key("grace@example.org", "192.0.2.44"),
            audit_key("", scope_key("192.0.2.44")),  # an unknown username's audit spacing
        ]
    )
    for key in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert LoginAttempt.objects.get(key=username_key("Grace@Example.org ")).failures == 3


def test_the_limits_are_settings(make_account, settings):
    settings.GARDIEN_LOGIN_MAX_FAILURES = 3
    settings.GARDIEN_LOGIN_LOCKOUT_MINUTES = 5
    account = make_account("heidi", "viewer")
    client = new_client()
    with clock.frozen(START):
        fail(client, "heidi", 3)
        response = post_login(client, "heidi", account.password, account.code())
        assert "Wait 5 minutes and try again." in response.text
        assert not is_logged_in(client)
    with clock.frozen(START + dt.timedelta(minutes=5, seconds=1)):
        assert post_login(client, "heidi", account.password, account.code()).status_code == 302


def test_an_empty_field_is_not_counted(db):
    client = new_client()
    with clock.frozen(START):
        for _ in range(25):
            response = post_login(client, "ivan", "Not-The-Password-0", "")
            assert response.status_code == 200
    assert not LoginAttempt.objects.exists()


@pytest.mark.parametrize(
    ("behind_proxy", "meta", "expected"),
    [
        (False, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "10.0.0.1"),
        (True, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"}, "1.2.3.4"),
        (True, {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
    ],
)
def test_the_client_address(settings, behind_proxy, meta, expected):
    settings.GARDIEN_BEHIND_PROXY = behind_proxy
    request = RequestFactory().get("/admin/login/", **meta)
    assert client_ip(request) == expected


def test_an_ipv6_client_is_counted_by_its_network():
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.1") == address_key("192.0.2.1")
    # And by the /48 around it (an IPv4 address by its /24), with a higher limit.
    assert network_key("2001:db8:1:2::1") == network_key("2001:db8:1:ffff::9")
    assert network_key("2001:db8:1:2::1") != network_key("2001:db8:2:2::1")
    assert network_key("192.0.2.1") == network_key("192.0.2.254") == network_key("::ffff:192.0.2.9")
    assert network_key("192.0.2.1") != network_key("192.0.3.1")
    assert network_key("") is None


@pytest.mark.parametrize(
    ("network", "elsewhere"),
    [
        (lambda i: f"2001:db8:1:{i:x}::1", "2001:db8:2::1"),  # a /64 each, in one /48
        (lambda i: f"192.0.2.{i + 1}", "192.0.3.1"),  # an address each, in one /24
    ],
    ids=["ipv6-48", "ipv4-24"],
)
def test_a_network_cannot_multiply_the_address_budget(make_account, settings, network, elsewhere):
    settings.GARDIEN_LOGIN_MAX_FAILURES = 2
    limit = 2 * NETWORK_FACTOR
    account = make_account("judy", "dpo")
    with clock.frozen(START):
        for i in range(limit):  # one failure from each address: none is refused by itself
            fail(new_client(), f"guess-{i}", 1, REMOTE_ADDR=network(i))
        client = new_client()
        response = post_login(
            client, "judy", account.password, account.code(), REMOTE_ADDR=network(limit)
        )
        assert REFUSED in response.text  # a fresh address of the same network
        assert not is_logged_in(client)
        code = account.two_factor.backup_codes[0]
        response = post_login(new_client(), "judy", account.password, code, REMOTE_ADDR=elsewhere)
        assert response.status_code == 302
    with clock.frozen(START + lockout() + dt.timedelta(seconds=1)):
        code = account.two_factor.backup_codes[1]
        response = post_login(
            new_client(), "judy", account.password, code, REMOTE_ADDR=network(limit)
        )
        assert response.status_code == 302


def test_the_refusal_is_translated(db):
    response = post_login(Client(headers={"Accept-Language": "fr"}), "ivan", "Wrong-Pass-0", "1")
    assert "Identifiant, mot de passe ou code incorrect, ou trop de tentatives." in response.text
    assert "Patientez 15 minutes puis réessayez." in response.text
