"""The outbox's error model: Permanent failures, RetryAfter, and ``retry_after`` duck typing.

Each attempt goes through the real worker (``gardien worker --batch --now ...``); the tasks
below raise, attempt after attempt, the exceptions planned for their record id.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_tasks_db.models import DBTaskResult

from gardien.processors import outbox
from gardien.processors.models import OutboxItem
from gardien.processors.outbox import outbox_task

SECOND = dt.timedelta(seconds=1)
CHANGELIST = "admin:processors_outboxitem_changelist"

plans: dict[str, list[Exception]] = {}
attempts: Counter[str] = Counter()
delivered: list[str] = []


class ProcessorError(Exception):
    """Like a processor client's base error: ``retry_after`` is None unless it asked to wait."""

    retry_after: float | None = None


class Rejected(ProcessorError, outbox.Permanent):
    """A 400 "invalid parameter": retrying the same call cannot help."""


class Unavailable(ProcessorError):
    """A 429/503 that does not derive from RetryAfter but carries the wait it was given."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _call(record_id: str) -> None:
    attempts[record_id] += 1
    plan = plans.get(record_id, [])
    if plan:
        raise plan.pop(0)
    delivered.append(record_id)


@outbox_task(max_attempts=8, backoff_seconds=60, max_backoff_seconds=3600)
def call_processor(record_id: str) -> None:
    _call(record_id)


@outbox_task(max_attempts=2, backoff_seconds=60)
def call_processor_twice(record_id: str) -> None:
    _call(record_id)


@pytest.fixture(autouse=True)
def reset_plans() -> Iterator[None]:
    plans.clear()
    attempts.clear()
    delivered.clear()
    yield
    plans.clear()
    attempts.clear()
    delivered.clear()


def failing(record_id: str, *errors: Exception, task: Any = call_processor) -> OutboxItem:
    plans[record_id] = list(errors)
    return outbox.enqueue(task, record_id)


def back_office(client, user: User):  # type: ignore[no-untyped-def]
    client.force_login(user)
    device = StaticDevice.objects.create(user=user, name="test")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# --- Permanent ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_permanent_failure_is_dead_after_one_attempt(run_worker, t0, caplog):
    caplog.set_level(logging.WARNING, logger="gardien.processors")
    item = failing("r-1", Rejected("invalid parameter 'email': ada.lovelace@example.org"))

    assert run_worker(t0) == "Ran 1 task: 0 done, 0 retried later, 1 dead."

    item.refresh_from_db()
    assert (item.state, item.attempts, item.next_attempt_at) == (OutboxItem.State.DEAD, 1, None)
    assert item.last_error == (
        "tests.processors.test_outbox_errors.Rejected: invalid parameter 'email': [email]"
    )
    (logged,) = [r for r in caplog.records if r.name == "gardien.processors"]
    assert logged.levelno == logging.ERROR
    assert "failed permanently" in logged.getMessage()
    assert "example.org" not in logged.getMessage()

    # Never attempted again: no task row was queued after the first.
    assert DBTaskResult.objects.count() == 1
    assert run_worker(t0 + dt.timedelta(days=2)).startswith("Ran 0 tasks")
    assert attempts["r-1"] == 1
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.DEAD, 1)


@pytest.mark.django_db
def test_a_permanent_failure_is_dead_even_if_it_names_a_wait(run_worker, t0):
    refusal = Rejected("invalid parameter")
    refusal.retry_after = 30
    item = failing("r-1", refusal)

    assert run_worker(t0).endswith("0 retried later, 1 dead.")
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.DEAD, 1)


@pytest.mark.django_db
def test_a_bare_permanent_is_dead_at_once(run_worker, t0):
    item = failing("r-1", outbox.Permanent())
    assert run_worker(t0).endswith("1 dead.")
    item.refresh_from_db()
    assert item.last_error == "gardien.processors.outbox.Permanent"


@pytest.mark.django_db
def test_retry_now_brings_a_permanent_dead_item_back_and_it_can_succeed(run_worker, t0):
    item = failing("r-1", Rejected("invalid parameter"))
    run_worker(t0)
    item.refresh_from_db()
    assert item.state == OutboxItem.State.DEAD

    # The cause was fixed (the plan has no more failures): the DPO retries it.
    assert outbox.retry_dead([item]) == 1
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 0)

    assert run_worker(t0 + SECOND) == "Ran 1 task: 1 done, 0 retried later, 0 dead."
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.DONE, 1)
    assert delivered == ["r-1"]
    assert attempts["r-1"] == 2


@pytest.mark.django_db
def test_the_back_office_shows_a_permanent_failure_and_retries_it(client, run_worker, t0):
    item = failing("r-1", Rejected("invalid parameter 'email': grace@example.org"))
    run_worker(t0)
    admin = User.objects.create_superuser("dpo", "dpo@example.org", "x" * 16)
    browser = back_office(client, admin)

    response = browser.get(reverse(CHANGELIST), {"state__exact": "dead"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [item]
    assert "Rejected: invalid parameter &#x27;email&#x27;: [email]" in response.text
    assert "grace@example.org" not in response.text

    response = browser.post(
        reverse(CHANGELIST),
        {"action": "retry_now", "_selected_action": [str(item.pk)], "index": "0"},
        follow=True,
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 0)
    assert run_worker(t0 + SECOND).startswith("Ran 1 task: 1 done")
    item.refresh_from_db()
    assert item.state == OutboxItem.State.DONE


# --- RetryAfter -----------------------------------------------------------------------


@pytest.mark.django_db
def test_retry_after_longer_than_the_backoff_sets_the_next_attempt(run_worker, t0):
    item = failing("r-1", outbox.RetryAfter(300, "429 too many requests"))

    assert run_worker(t0) == "Ran 1 task: 0 done, 1 retried later, 0 dead."
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 1)
    assert item.next_attempt_at == t0 + 300 * SECOND
    assert item.last_error == "gardien.processors.outbox.RetryAfter: 429 too many requests"

    # The usual backoff (60 s) has passed, the processor's wait has not.
    assert run_worker(t0 + 299 * SECOND).startswith("Ran 0 tasks")
    assert run_worker(t0 + 300 * SECOND).startswith("Ran 1 task: 1 done")
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.DONE, 2)


@pytest.mark.django_db
def test_retry_after_shorter_than_the_backoff_keeps_the_backoff(run_worker, t0):
    item = failing("r-1", outbox.RetryAfter(5))

    run_worker(t0)
    item.refresh_from_db()
    assert item.next_attempt_at == t0 + 60 * SECOND
    assert item.last_error == "gardien.processors.outbox.RetryAfter: asked to wait 5 s"
    assert run_worker(t0 + 5 * SECOND).startswith("Ran 0 tasks")


@pytest.mark.django_db
def test_retry_after_is_capped_at_the_maximum_backoff(run_worker, t0):
    item = failing("r-1", outbox.RetryAfter(10 * 24 * 3600))
    run_worker(t0)
    item.refresh_from_db()
    assert item.next_attempt_at == t0 + dt.timedelta(hours=1)  # max_backoff_seconds=3600


@pytest.mark.django_db
def test_retry_after_still_counts_as_an_attempt(run_worker, t0):
    item = failing("r-1", outbox.RetryAfter(120), outbox.RetryAfter(120), task=call_processor_twice)

    assert run_worker(t0).endswith("1 retried later, 0 dead.")
    assert run_worker(t0 + 120 * SECOND) == "Ran 1 task: 0 done, 0 retried later, 1 dead."
    item.refresh_from_db()
    assert (item.state, item.attempts, item.next_attempt_at) == (OutboxItem.State.DEAD, 2, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [(600, 600), (600.5, 600.5), (5, 60), (None, 60), (-30, 60)],
)
def test_any_exception_with_a_retry_after_is_taken_as_a_retry_after(
    run_worker, t0, retry_after, delay
):
    item = failing("r-1", Unavailable("503 service unavailable", retry_after))

    assert run_worker(t0).endswith("1 retried later, 0 dead.")
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 1)
    assert item.next_attempt_at == t0 + dt.timedelta(seconds=delay)
    assert item.last_error.endswith("Unavailable: 503 service unavailable")


@pytest.mark.django_db
def test_a_retry_after_that_is_not_a_number_is_ignored(run_worker, t0):
    odd = Unavailable("throttled", None)
    odd.retry_after = "soon"  # type: ignore[assignment]
    item = failing("r-1", odd)
    run_worker(t0)
    item.refresh_from_db()
    assert item.next_attempt_at == t0 + 60 * SECOND


@pytest.mark.django_db
def test_the_recorded_errors_never_hold_an_email_address(run_worker, t0):
    items = [
        failing("r-1", Rejected("contact ada@example.org is blocklisted")),
        failing("r-2", outbox.RetryAfter(300, "slow down for <grace@example.org>")),
        failing("r-3", Unavailable("busy, retry grace.hopper+news@mail.example.org", 90)),
    ]

    run_worker(t0)

    for item in items:
        item.refresh_from_db()
        assert "[email]" in item.last_error
        assert "@" not in item.last_error and "example.org" not in item.last_error
    assert all("example.org" not in row.traceback for row in DBTaskResult.objects.all())


def test_the_delay_is_the_later_of_backoff_and_retry_after_within_the_ceiling():
    policy = outbox.RetryPolicy(None, 8, 60, 3600)
    seconds = [
        policy.delay_after(attempt, retry_after).total_seconds()
        for attempt, retry_after in [(1, None), (1, 300), (1, 5), (3, 200), (3, 300), (1, 9e9)]
    ]
    assert seconds == [60, 300, 60, 240, 300, 3600]


def test_retry_after_keeps_its_seconds_and_message():
    wait = outbox.RetryAfter(30, "429")
    assert (wait.seconds, str(wait)) == (30.0, "429")
    assert str(outbox.RetryAfter(2.5)) == "asked to wait 2.5 s"
    assert {"Permanent", "RetryAfter"} <= set(outbox.__all__)
