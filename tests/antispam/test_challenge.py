"""The proof-of-work challenge: solved once it is accepted, never twice, never late or forged."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import threading

import pytest
from django.db import connection

from gardien.antispam import challenge
from gardien.antispam.challenge import Problem
from gardien.antispam.models import UsedChallenge
from gardien.lib import clock
from tests.antispam.conftest import START, decode, encode, solve


def test_it_issues_a_signed_challenge_with_an_expiry(db, settings):
    settings.SECRET_KEY = "a-secret-key-for-this-test-only"
    with clock.frozen(START):
        issued = challenge.issue()

    assert set(issued) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    assert issued["algorithm"] == "SHA-256"
    assert issued["maxnumber"] == 1000
    expires = int((START + dt.timedelta(seconds=600)).timestamp())
    assert f"?expires={expires}&" in issued["salt"]
    # The key is derived from SECRET_KEY for this purpose, not SECRET_KEY itself.
    assert challenge.signing_key() != settings.SECRET_KEY
    expected = hmac.new(
        challenge.signing_key().encode(), issued["challenge"].encode(), hashlib.sha256
    ).hexdigest()
    assert issued["signature"] == expected


def test_the_key_follows_secret_key(settings):
    settings.SECRET_KEY = "one-secret-key-for-this-test"
    first = challenge.signing_key()
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert challenge.signing_key() != first


def test_it_accepts_a_solution_once(db):
    with clock.frozen(START):
        payload = solve(challenge.issue())
        assert challenge.redeem(payload) is None
        assert challenge.redeem(payload) is Problem.USED
    assert UsedChallenge.objects.count() == 1


def test_it_stores_a_hash_of_the_challenge_until_it_expires(db):
    with clock.frozen(START):
        payload = solve(challenge.issue())
        challenge.redeem(payload)
    (row,) = UsedChallenge.objects.all()
    assert row.digest == hashlib.sha256(decode(payload)["challenge"].encode()).hexdigest()
    assert row.expires_at == START + dt.timedelta(seconds=600)


def test_two_solutions_to_two_challenges_are_both_accepted(db):
    with clock.frozen(START):
        first, second = solve(challenge.issue()), solve(challenge.issue())
        assert challenge.redeem(first) is None
        assert challenge.redeem(second) is None


def test_it_refuses_a_solution_after_the_expiry(db):
    with clock.frozen(START):
        payload = solve(challenge.issue())
    with clock.frozen(START + dt.timedelta(seconds=599)):
        assert challenge.redeem(payload) is None
    with clock.frozen(START):
        late = solve(challenge.issue())
    with clock.frozen(START + dt.timedelta(seconds=600)):
        assert challenge.redeem(late) is Problem.EXPIRED
    assert UsedChallenge.objects.count() == 1


def test_the_expiry_follows_the_setting(db, settings):
    settings.GARDIEN_ALTCHA_EXPIRES_SECONDS = 60
    with clock.frozen(START):
        payload = solve(challenge.issue())
    with clock.frozen(START + dt.timedelta(seconds=61)):
        assert challenge.redeem(payload) is Problem.EXPIRED


def test_a_replay_after_the_purge_is_refused_as_expired(db):
    with clock.frozen(START):
        payload = solve(challenge.issue())
        assert challenge.redeem(payload) is None
    later = START + dt.timedelta(seconds=600)
    assert challenge.purge_used_challenges(later) == 1
    with clock.frozen(later):
        assert challenge.redeem(payload) is Problem.EXPIRED


def test_it_refuses_an_empty_field(db):
    assert challenge.redeem("") is Problem.MISSING
    assert challenge.redeem("   ") is Problem.MISSING


@pytest.mark.parametrize(
    "change",
    [
        {"number": 1001},  # a wrong answer
        {"challenge": "0" * 64},
        {"signature": "f" * 64},
        {"algorithm": "SHA-1"},
        {"number": "7"},
        {"number": True},
        {"number": -1},
        {"salt": "0123456789abcdef0123?expires=99999999999&"},  # a later expiry
    ],
)
def test_it_refuses_a_tampered_solution(db, change):
    with clock.frozen(START):
        good = decode(solve(challenge.issue()))
        assert challenge.redeem(encode({**good, **change})) is Problem.INVALID
    assert UsedChallenge.objects.count() == 0


def test_it_refuses_a_challenge_signed_with_another_key(db, settings):
    with clock.frozen(START):
        settings.SECRET_KEY = "the-key-of-another-gardien-install"
        foreign = solve(challenge.issue())
        settings.SECRET_KEY = "the-key-of-this-gardien-install"
        assert challenge.redeem(foreign) is Problem.INVALID


@pytest.mark.parametrize(
    "payload",
    [
        "not base64!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"algorithm": "SHA-256"}').decode(),
        base64.b64encode(b"\xff\xfe").decode(),
        "A" * 5000,
    ],
)
def test_it_refuses_what_is_not_a_solution(db, payload):
    assert challenge.redeem(payload) is Problem.INVALID


def test_a_solution_with_a_non_ascii_signature_is_refused_not_an_error(db):
    with clock.frozen(START):
        good = decode(solve(challenge.issue()))
        assert challenge.redeem(encode({**good, "signature": "é" * 64})) is Problem.INVALID
        assert challenge.redeem(encode({**good, "salt": "\ud800"})) is Problem.INVALID


def test_a_salt_without_an_expiry_is_refused(db):
    from altcha import ChallengeOptionsV1, create_challenge_v1

    made = create_challenge_v1(
        ChallengeOptionsV1(max_number=1000, hmac_key=challenge.signing_key())
    )
    payload = solve(
        {
            "algorithm": made.algorithm,
            "challenge": made.challenge,
            "maxnumber": made.max_number,
            "salt": made.salt,
            "signature": made.signature,
        }
    )
    assert challenge.redeem(payload) is Problem.INVALID


@pytest.mark.django_db(transaction=True)
def test_two_processes_redeeming_one_solution_at_once_get_one_success():
    with clock.frozen(START):
        payload = solve(challenge.issue())
    barrier = threading.Barrier(4)
    results: list[Problem | None] = []

    def redeem() -> None:
        try:
            barrier.wait()
            with clock.frozen(START):
                results.append(challenge.redeem(payload))
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [None, Problem.USED, Problem.USED, Problem.USED]
