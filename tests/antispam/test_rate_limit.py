"""The per-address limit: only accepted submissions count, per address and form, for a period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from gardien.antispam import ratelimit
from gardien.antispam.models import CountedSubmission
from gardien.antispam.rates import RateLimit, parse_rate_limit
from gardien.lib import clock
from gardien.lib.env import EnvError
from tests.antispam.conftest import START


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def accept(request, times: int, scope: str = "contact", when: dt.datetime = START) -> None:
    with clock.frozen(when):
        for _ in range(times):
            assert ratelimit.check_rate(request, scope) is None
            ratelimit.count_submission(request, scope)


def test_it_refuses_the_sixth_accepted_submission_in_ten_minutes(db, form_post):
    request = form_post()
    accept(request, 5)
    with clock.frozen(at(0)):
        assert ratelimit.check_rate(request, "contact") == ratelimit.Limited(retry_after=600)
    with clock.frozen(at(420)):
        assert ratelimit.check_rate(request, "contact") == ratelimit.Limited(retry_after=180)
    with clock.frozen(at(599.5)):
        assert ratelimit.check_rate(request, "contact") == ratelimit.Limited(retry_after=1)
    with clock.frozen(at(600)):
        assert ratelimit.check_rate(request, "contact") is None


def test_checking_alone_counts_nothing(db, form_post):
    request = form_post()
    with clock.frozen(START):
        for _ in range(20):
            assert ratelimit.check_rate(request, "contact") is None
    assert CountedSubmission.objects.count() == 0


def test_the_window_slides_with_each_submission(db, form_post):
    request = form_post()
    for seconds in (0, 100, 200, 300, 400):
        accept(request, 1, when=at(seconds))
    with clock.frozen(at(450)):
        assert ratelimit.check_rate(request, "contact") == ratelimit.Limited(retry_after=150)
    accept(request, 1, when=at(600))  # the one of 0 s has left the window
    with clock.frozen(at(601)):
        assert ratelimit.check_rate(request, "contact") == ratelimit.Limited(retry_after=99)


def test_the_limit_follows_the_setting(db, settings, form_post):
    settings.GARDIEN_RATE_LIMIT = "2/60"
    request = form_post()
    accept(request, 2)
    with clock.frozen(at(59)):
        assert ratelimit.check_rate(request, "contact") == ratelimit.Limited(retry_after=1)
    with clock.frozen(at(60)):
        assert ratelimit.check_rate(request, "contact") is None


def test_addresses_and_forms_have_their_own_limits(db, form_post):
    accept(form_post(address="203.0.113.7"), 5)
    with clock.frozen(START):
        assert ratelimit.check_rate(form_post(address="203.0.113.7"), "contact") is not None
        assert ratelimit.check_rate(form_post(address="203.0.113.8"), "contact") is None
        assert ratelimit.check_rate(form_post(address="203.0.113.7"), "newsletter") is None


def test_an_ipv6_client_is_limited_by_its_network(db, form_post):
    accept(form_post(address="2001:db8:1:2::10"), 5)
    with clock.frozen(START):
        same_network = form_post(address="2001:db8:1:2:ffff::1")
        assert ratelimit.check_rate(same_network, "contact") is not None
        assert ratelimit.check_rate(form_post(address="2001:db8:1:3::10"), "contact") is None


def test_x_forwarded_for_is_ignored_unless_behind_a_proxy(db, form_post):
    for n in range(5):
        accept(form_post(address="192.0.2.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"), 1)
    with clock.frozen(START):
        another = form_post(address="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.99")
        assert ratelimit.check_rate(another, "contact") is not None


def test_behind_a_proxy_the_address_it_appended_counts(db, settings, form_post):
    settings.GARDIEN_BEHIND_PROXY = True
    # Each request comes from the proxy; the client forges the first value, not the last.
    for n in range(5):
        forged = f"10.0.0.{n}, 198.51.100.20"
        accept(form_post(address="192.0.2.1", HTTP_X_FORWARDED_FOR=forged), 1)
    with clock.frozen(START):
        again = form_post(address="192.0.2.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.20")
        assert ratelimit.check_rate(again, "contact") is not None
        other = form_post(address="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.21")
        assert ratelimit.check_rate(other, "contact") is None


def test_the_address_is_never_stored_in_clear(db, form_post, capsys):
    addresses = ["203.0.113.77", "2001:db8:abcd:12::99"]
    for address in addresses:
        accept(form_post(address=address), 2)
    call_command("dumpdata", "antispam", format="json")
    dump = capsys.readouterr().out
    assert '"antispam.countedsubmission"' in dump
    for address in [*addresses, "2001:db8:abcd:12::"]:
        assert address not in dump
    keys = set(CountedSubmission.objects.values_list("address_key", flat=True))
    assert keys == {ratelimit.address_key(a) for a in addresses}
    assert all(len(key) == 64 for key in keys)


def test_the_stored_hash_is_keyed_by_secret_key(settings):
    settings.SECRET_KEY = "one-secret-key-for-this-test"
    first = ratelimit.address_key("203.0.113.77")
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert ratelimit.address_key("203.0.113.77") != first


def test_purge_forgets_submissions_older_than_one_period(db, form_post):
    request = form_post()
    accept(request, 2, when=at(0))
    accept(request, 1, when=at(300))
    assert ratelimit.purge_counted_submissions(at(600)) == 2
    assert list(CountedSubmission.objects.values_list("counted_at", flat=True)) == [at(300)]


def test_a_scope_must_fit_the_table(db, form_post):
    with pytest.raises(ValueError, match="anti-spam scope"):
        ratelimit.check_rate(form_post(), "x" * 51)
    with pytest.raises(ValueError, match="anti-spam scope"):
        ratelimit.count_submission(form_post(), "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5/600", RateLimit(5, dt.timedelta(seconds=600))),
        (" 1 / 1 ", RateLimit(1, dt.timedelta(seconds=1))),
    ],
)
def test_it_reads_the_rate_setting(text, expected):
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["5", "5/10min", "five/600", "0/600", "5/0", "", "-1/600"])
def test_a_malformed_rate_is_refused_with_a_sentence(text):
    with pytest.raises(
        EnvError,
        match=r"^GARDIEN_RATE_LIMIT=.*e\.g\. GARDIEN_RATE_LIMIT=5/600 for 5 submissions in 10 minutes\.$",
    ):
        parse_rate_limit(text)
