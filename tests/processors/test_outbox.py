from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gardien.audit.services import Actor
from gardien.processors import outbox
from gardien.processors.models import OutboxItem
from gardien.vault import services as vault
from tests.processors import tasks

MINUTE = dt.timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_it_removes_the_task_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(tasks.succeed, "r-1")
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError("the change failed")
    assert DBTaskResult.objects.count() == 0
    assert OutboxItem.objects.count() == 0

    with transaction.atomic():
        item = outbox.enqueue(tasks.succeed, "r-2")
    assert DBTaskResult.objects.get().id == item.task_result_id
    assert OutboxItem.objects.get().state == OutboxItem.State.PENDING


@pytest.mark.django_db
def test_it_runs_a_task_that_succeeds_to_done(run_worker, t0):
    item = outbox.enqueue(tasks.succeed, "r-1")

    assert run_worker(t0) == "Ran 1 task: 1 done, 0 retried later, 0 dead."

    item.refresh_from_db()
    assert (item.state, item.attempts, item.last_error) == (OutboxItem.State.DONE, 1, "")
    assert tasks.calls == [("succeed", "r-1")]
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
    assert run_worker(t0) == "Ran 0 tasks: 0 done, 0 retried later, 0 dead."


@pytest.mark.django_db
def test_it_retries_with_exponential_backoff_until_success(run_worker, t0):
    item = outbox.enqueue(tasks.fail_twice, "r-1")

    assert run_worker(t0) == "Ran 1 task: 0 done, 1 retried later, 0 dead."
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 1)
    assert item.next_attempt_at == t0 + MINUTE
    assert "ConnectionError" in item.last_error
    assert "@" not in item.last_error and "[email]" in item.last_error

    # Not due yet half a minute later.
    assert run_worker(t0 + MINUTE / 2).startswith("Ran 0 tasks")

    second = t0 + MINUTE + dt.timedelta(seconds=1)
    assert run_worker(second) == "Ran 1 task: 0 done, 1 retried later, 0 dead."
    item.refresh_from_db()
    assert item.attempts == 2
    assert item.next_attempt_at == second + 2 * MINUTE  # 60 s, then 120 s

    assert run_worker(second + 2 * MINUTE).startswith("Ran 1 task: 1 done")
    item.refresh_from_db()
    assert (item.state, item.attempts, item.next_attempt_at) == (OutboxItem.State.DONE, 3, None)
    assert tasks.calls == [("fail_twice", "r-1")]
    # One task row per attempt; the failed ones keep no personal data.
    rows = DBTaskResult.objects.order_by("enqueued_at")
    assert [row.status for row in rows] == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert all("example.org" not in row.traceback for row in rows)
    assert all(row.args_kwargs == {"args": ["r-1"], "kwargs": {}} for row in rows)


@pytest.mark.django_db
def test_it_buries_a_task_that_always_fails_after_max_attempts(run_worker, t0):
    item = outbox.enqueue(tasks.always_fail, "r-1")

    assert run_worker(t0).endswith("1 retried later, 0 dead.")
    assert run_worker(t0 + dt.timedelta(hours=1)).endswith("1 retried later, 0 dead.")
    assert run_worker(t0 + dt.timedelta(hours=2)) == "Ran 1 task: 0 done, 0 retried later, 1 dead."

    item.refresh_from_db()
    assert (item.state, item.attempts, item.next_attempt_at) == (OutboxItem.State.DEAD, 3, None)
    assert item.last_error == "RuntimeError: processor down while sending to [email]"
    assert run_worker(t0 + dt.timedelta(days=2)).startswith("Ran 0 tasks")
    assert tasks.attempts["r-1"] == 3


def test_it_computes_the_backoff_with_a_ceiling():
    policy = outbox.RetryPolicy(None, 8, 60, 6 * 3600)
    delays = [policy.delay_after(n).total_seconds() for n in range(1, 11)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600]
    assert outbox.policy_of(tasks.always_fail).max_attempts == 3


@pytest.mark.django_db
def test_it_skips_the_work_for_a_person_restricted_after_enqueueing(run_worker, t0):
    system = Actor.system()
    ada, _ = vault.get_or_create_person("ada@example.org", actor=system)
    grace, _ = vault.get_or_create_person("grace@example.org", actor=system)
    skipped = outbox.enqueue(tasks.send_issue, ada.id, 7)
    sent = outbox.enqueue(tasks.send_issue, grace.id, 7)
    vault.restrict(ada, actor=system, reason="Art. 18 request", activity="newsletter")

    summary = run_worker(t0)

    assert summary == "Ran 2 tasks: 1 done, 1 skipped (restricted), 0 retried later, 0 dead."
    assert tasks.calls == [("send_issue", str(grace.id))]
    skipped.refresh_from_db()
    sent.refresh_from_db()
    assert (skipped.state, skipped.attempts) == (OutboxItem.State.SKIPPED, 1)
    assert sent.state == OutboxItem.State.DONE


@pytest.mark.django_db
def test_it_refuses_an_email_address_argument():
    with pytest.raises(ValueError, match="'record_id'") as refused:
        outbox.enqueue(tasks.succeed, "ada@example.org")
    assert "ada" not in str(refused.value)
    for not_an_id in ["two words", "x" * 65, {"email": "a"}, 1.5, b"bytes"]:
        with pytest.raises(ValueError, match="'record_id'"):
            outbox.enqueue(tasks.succeed, not_an_id)
    with pytest.raises(ValueError, match="'person_id'"):
        outbox.enqueue(tasks.send_issue, person_id="Ada Lovelace", issue_id=1)
    assert DBTaskResult.objects.count() == OutboxItem.objects.count() == 0

    item = outbox.enqueue(tasks.send_issue, uuid.UUID(int=1), issue_id=3)
    assert item.arguments == {"args": [str(uuid.UUID(int=1))], "kwargs": {"issue_id": 3}}


@pytest.mark.django_db
def test_it_refuses_wrong_arity_and_plain_tasks():
    with pytest.raises(TypeError, match="succeed"):
        outbox.enqueue(tasks.succeed, "a", "b")
    with pytest.raises(TypeError, match="not an outbox task"):
        outbox.enqueue(tasks.plain, "a")
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_it_recovers_an_attempt_whose_worker_died(run_worker, t0):
    from django.utils import timezone

    item = outbox.enqueue(tasks.succeed, "r-1")
    # A worker claimed it two hours ago and was killed mid-task.
    DBTaskResult.objects.filter(pk=item.task_result_id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - dt.timedelta(hours=2)
    )
    OutboxItem.objects.filter(pk=item.pk).update(state=OutboxItem.State.RUNNING, attempts=1)

    assert outbox.recover_stalled() == 1

    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.PENDING, 1)
    assert item.last_error.startswith("WorkerLost")
    assert DBTaskResult.objects.get(status=TaskResultStatus.FAILED).exception_class_path.endswith(
        "WorkerLost"
    )
    assert run_worker(t0).startswith("Ran 1 task: 1 done")
    item.refresh_from_db()
    assert (item.state, item.attempts) == (OutboxItem.State.DONE, 2)


@pytest.mark.django_db
def test_a_lost_worker_is_recorded_under_an_exception_class_that_imports():
    from django.utils import timezone
    from django.utils.module_loading import import_string

    item = outbox.enqueue(tasks.succeed, "r-1")
    DBTaskResult.objects.filter(pk=item.task_result_id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - dt.timedelta(hours=2)
    )
    OutboxItem.objects.filter(pk=item.pk).update(state=OutboxItem.State.RUNNING, attempts=1)

    assert outbox.recover_stalled() == 1

    row = DBTaskResult.objects.get(pk=item.task_result_id)
    assert import_string(row.exception_class_path) is outbox.WorkerLost
    # As Django's tasks read it back: the error names a real exception class.
    (error,) = row.task_result.errors
    assert error.exception_class is outbox.WorkerLost
    assert issubclass(error.exception_class, Exception)
    assert error.traceback == "The worker stopped during this attempt."


@pytest.mark.django_db
def test_it_leaves_a_recent_running_attempt_alone():
    from django.utils import timezone

    item = outbox.enqueue(tasks.succeed, "r-1")
    DBTaskResult.objects.filter(pk=item.task_result_id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )
    OutboxItem.objects.filter(pk=item.pk).update(state=OutboxItem.State.RUNNING, attempts=1)
    assert outbox.recover_stalled() == 0


def test_it_scrubs_emails_and_caps_the_length():
    assert outbox.scrub("to: <a.b+c@x.example>, cc bob@y.org") == "to: <[email]>, cc [email]"
    assert len(outbox.scrub("x" * 2000)) == 500
