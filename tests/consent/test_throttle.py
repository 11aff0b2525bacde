"""The consent API's limit per client address: a flood gets 429 with Retry-After, other
addresses are not affected, and the address is kept nowhere (``gardien.wsgi.application``)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import override_settings

from gardien.consent import throttle
from gardien.consent.models import ConsentRecord

FLOODER = "203.0.113.77"
OTHER = "198.51.100.4"


@pytest.fixture
def post_choice(served_post_choice):
    return served_post_choice


@override_settings(GARDIEN_CONSENT_RATE_LIMIT="5/60")
def test_a_flood_from_one_address_gets_429_and_another_address_still_records(
    choice, post_choice, caplog
):
    caplog.set_level(logging.DEBUG)
    body = choice()
    answers = [post_choice(body, REMOTE_ADDR=FLOODER) for _ in range(8)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 3
    refused = answers[-1]
    assert refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused["Retry-After"]) <= 12  # 5 per minute: one every 12 seconds
    # Readable by the banner on another site's page, which waits that long before retrying.
    assert refused["Access-Control-Expose-Headers"] == "Retry-After"
    assert f"{refused['Retry-After']} seconds" in refused.json()["message"]
    assert post_choice(body, REMOTE_ADDR=OTHER).status_code == 201
    assert ConsentRecord.objects.count() == 6
    stored = json.dumps(list(ConsentRecord.objects.values()), default=str)
    for address in (FLOODER, OTHER):
        assert address not in stored
        assert address not in caplog.text


@override_settings(GARDIEN_CONSENT_RATE_LIMIT="2/60")
def test_one_ipv6_client_is_counted_by_its_64_network(choice, post_choice):
    body = choice()
    assert post_choice(body, REMOTE_ADDR="2001:db8:1:2::1").status_code == 201
    assert post_choice(body, REMOTE_ADDR="2001:db8:1:2::ffff").status_code == 201
    assert post_choice(body, REMOTE_ADDR="2001:db8:1:2:aaaa::3").status_code == 429
    assert post_choice(body, REMOTE_ADDR="2001:db8:1:3::1").status_code == 201


@override_settings(GARDIEN_CONSENT_RATE_LIMIT="2/60", GARDIEN_BEHIND_PROXY=True)
def test_behind_the_proxy_the_address_it_appended_is_counted(choice, post_choice):
    body = choice()
    for _ in range(2):
        assert post_choice(body, HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1").status_code == 201
    assert post_choice(body, HTTP_X_FORWARDED_FOR="7.7.7.7, 192.0.2.1").status_code == 429
    assert post_choice(body, HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.2").status_code == 201


def test_the_bucket_refills_evenly_and_memory_is_bounded():
    buckets = throttle.Buckets(capacity=2, rate=0.5, size=3)
    assert [buckets.take(b"a", 0.0) for _ in range(3)] == [0.0, 0.0, 2.0]
    assert buckets.take(b"a", 2.0) == 0.0  # one choice back after 2 seconds
    for key in (b"b", b"c", b"d"):
        buckets.take(key, 2.0)
    assert len(buckets._buckets) == 3
    assert b"a" not in buckets._buckets  # the least recently used, forgotten first
    assert throttle.address_key(FLOODER) != FLOODER.encode()
    assert FLOODER.encode() not in throttle.address_key(FLOODER)
