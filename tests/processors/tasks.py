"""Outbox tasks used by the tests; importable as ``tests.processors.tasks`` (a dotted path).

They keep their calls in module state, reset by the ``reset_tasks`` fixture.
"""

from __future__ import annotations

from collections import Counter

from django.tasks import task

from gardien.processors.outbox import outbox_task

calls: list[tuple[str, object]] = []
attempts: Counter[str] = Counter()


def reset() -> None:
    calls.clear()
    attempts.clear()


@outbox_task()
def succeed(record_id: str) -> None:
    calls.append(("succeed", record_id))


@outbox_task(backoff_seconds=60)
def fail_twice(record_id: str) -> None:
    attempts[record_id] += 1
    if attempts[record_id] <= 2:
        raise ConnectionError("relay refused <ada.lovelace@example.org>: mailbox busy")
    calls.append(("fail_twice", record_id))


@outbox_task(max_attempts=3, backoff_seconds=60)
def always_fail(record_id: str) -> None:
    attempts[record_id] += 1
    raise RuntimeError("processor down while sending to grace@example.org")


@outbox_task(activity="newsletter")
def send_issue(person_id: str, issue_id: int) -> None:
    calls.append(("send_issue", person_id))


@task
def plain(record_id: str) -> None:
    """A Django task that is not an outbox task: outbox.enqueue refuses it."""
    calls.append(("plain", record_id))
