"""The transactional outbox: every outbound effect is a task enqueued with the change causing it.

Define the effect once, enqueue it inside the transaction that makes it necessary::

    from gardien.processors.outbox import enqueue, outbox_task

    @outbox_task(activity="newsletter")
    def send_welcome(person_id: str, subscription_id: int) -> None:
        ...  # read what is needed from the vault by id, send, raise on failure

    with transaction.atomic():
        subscription = Subscription.objects.create(person=person)
        enqueue(send_welcome, person.id, subscription.pk)

django-tasks-db keeps tasks in the same database, so a rollback removes the task with
the change, and a crash or a processor outage only delays the effect: a failing attempt
is retried with exponential backoff, and after ``max_attempts`` the effect is "dead" and
shown to the DPO in the back office, where "retry now" starts it again.

Error model: any exception a task raises fails the attempt; its message, scrubbed of email
addresses, becomes the item's last error and the next attempt follows the backoff. Two
classes say more, directly or as bases (``class BrevoRejected(BrevoError, Permanent)``):

- :class:`Permanent`: retrying cannot help (a processor refused a parameter). The item is
  dead at once and logged at ERROR; the DPO fixes the cause, then "retry now".
- :class:`RetryAfter` ``(seconds)``: the processor asked to wait (HTTP 429, Retry-After).
  The next attempt waits the later of ``seconds`` and the usual backoff, at most
  ``max_backoff_seconds``; the attempt counts towards ``max_attempts``. Any exception with
  a numeric ``retry_after`` attribute that is not None is taken the same way.

A Permanent exception is dead whatever its ``retry_after``.

Tasks carry ids only (checked by :func:`enqueue`); a task's return value is not kept.
Effects are delivered at least once: a task whose processor accepted the call but whose
worker died before recording it runs again, so make tasks safe to repeat when you can.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import math
import numbers
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, cast

from django.db import transaction
from django.dispatch import Signal
from django.tasks import Task, TaskContext, TaskResultStatus, task
from django.tasks.base import DEFAULT_TASK_PRIORITY, DEFAULT_TASK_QUEUE_NAME
from django.utils import timezone
from django.utils.module_loading import import_string

from gardien.lib import clock
from gardien.processors.models import OutboxItem
from gardien.processors.periodic import periodic

__all__ = [
    "AttemptFailed",
    "Permanent",
    "RetryAfter",
    "RetryPolicy",
    "WorkerLost",
    "attempt_finished",
    "enqueue",
    "outbox_task",
    "policy_of",
    "recover_stalled",
    "register_periodic_jobs",
    "retry_dead",
    "scrub",
]

P = ParamSpec("P")

logger = logging.getLogger("gardien.processors")

#: Sent after each attempt with ``item`` (the OutboxItem) and ``outcome``: one of
#: "done", "skipped", "retry", "dead".
attempt_finished = Signal()

ID_MAX_LENGTH = 64
ERROR_MAX_LENGTH = OutboxItem._meta.get_field("last_error").max_length or 500
#: An attempt still running after this long (wall-clock) is taken for a dead worker's.
STALLED_AFTER = dt.timedelta(hours=1)
#: How often the worker looks for such attempts.
RECOVER_STALLED_EVERY = dt.timedelta(minutes=5)

_EMAIL = re.compile(r"[^\s@<>()\[\]{},;:\"'`]+@[^\s@<>()\[\]{},;:\"'`]+")
_ATTRIBUTE = "gardien_outbox"


class AttemptFailed(Exception):
    """Recorded on the django-tasks-db row of a failed attempt, with a scrubbed message.

    The original exception is not chained: its text may hold personal data.
    """


class Permanent(Exception):
    """Raised by a task whose failure will not change on retry: the item is dead at once.

    E.g. a processor answering 400 "invalid parameter". The scrubbed message is kept as the
    item's last error; the DPO can "retry now" once the cause is fixed.
    """


class RetryAfter(Exception):
    """Raised by a task when the processor asked to wait ``seconds`` (HTTP 429, Retry-After).

    The next attempt is due no earlier than that, nor earlier than the usual backoff, and at
    most ``max_backoff_seconds`` away. The attempt counts towards ``max_attempts``.
    """

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(seconds, message)
        self.seconds = float(seconds)
        self.message = message

    def __str__(self) -> str:
        return self.message or f"asked to wait {self.seconds:g} s"


def _retry_after_of(exc: BaseException) -> float | None:
    """The seconds ``exc`` asks to wait before the next attempt, or None.

    ``RetryAfter.seconds``, or else a numeric ``retry_after`` attribute (duck typing, for
    exception classes that cannot derive from RetryAfter). Negative values count as 0.
    """
    value = exc.seconds if isinstance(exc, RetryAfter) else getattr(exc, "retry_after", None)
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return None
    seconds = float(value)
    return None if math.isnan(seconds) else max(seconds, 0.0)


class WorkerLost(Exception):
    """Recorded on the django-tasks-db row of an attempt whose worker stopped mid-task.

    Nothing raises it: :func:`recover_stalled` writes its dotted path as the row's exception
    class, so that whatever reads the row back (django-tasks imports the class) finds it.
    """


WORKER_LOST_MESSAGE = "the worker stopped during this attempt"


@dataclass(frozen=True)
class RetryPolicy:
    activity: str | None
    max_attempts: int
    backoff_seconds: int
    max_backoff_seconds: int

    def delay_after(self, attempt: int, retry_after: float | None = None) -> dt.timedelta:
        """How long to wait after failed attempt number ``attempt`` (1-based).

        The exponential backoff, or ``retry_after`` seconds (what the processor asked) when
        that is later; at most ``max_backoff_seconds`` either way.
        """
        seconds: float = self.backoff_seconds * 2 ** (attempt - 1)
        if retry_after is not None:
            seconds = max(seconds, retry_after)
        return dt.timedelta(seconds=min(seconds, self.max_backoff_seconds))


@dataclass(frozen=True)
class _Spec:
    policy: RetryPolicy
    signature: inspect.Signature
    func: Callable[..., Any]


def scrub(text: str, limit: int = ERROR_MAX_LENGTH) -> str:
    """``text`` without anything that looks like an email address, at most ``limit`` chars."""
    cleaned = _EMAIL.sub("[email]", text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _describe(exc: BaseException) -> str:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    message = str(exc)
    return scrub(f"{name}: {message}" if message else name)


# --- defining tasks -------------------------------------------------------------------


def outbox_task(
    *,
    activity: str | None = None,
    max_attempts: int = 8,
    backoff_seconds: int = 60,
    max_backoff_seconds: int = 6 * 3600,
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
) -> Callable[[Callable[P, object]], Task[P, dict[str, str]]]:
    """Make ``func`` an outbox task (a Django task) with this retry policy.

    With ``activity``, the first argument is a person id, and each attempt first asks
    ``gardien.vault.services.is_restricted(person_id, activity)``: a restricted person's
    effect is skipped (state "skipped"), even when it was enqueued before the restriction.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if backoff_seconds < 0 or max_backoff_seconds < 0:
        raise ValueError("backoff_seconds and max_backoff_seconds must not be negative")
    policy = RetryPolicy(activity, max_attempts, backoff_seconds, max_backoff_seconds)

    def decorate(func: Callable[P, object]) -> Task[P, dict[str, str]]:
        signature = inspect.signature(func)
        params = list(signature.parameters.values())
        if activity is not None and (
            not params
            or params[0].kind
            not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ):
            raise TypeError(
                f"{func.__qualname__}: an outbox task with an activity takes the person id "
                "as its first argument"
            )
        spec = _Spec(policy=policy, signature=signature, func=func)

        def run(context: TaskContext[Any, Any], *args: Any, **kwargs: Any) -> dict[str, str]:
            return _attempt(context, spec, list(args), dict(kwargs))

        # The task is found again by "module.qualname": it must be the decorated name.
        # (No __wrapped__: Django must see `context` as the wrapper's first argument.)
        run.__module__ = func.__module__
        run.__name__ = func.__name__
        run.__qualname__ = func.__qualname__
        run.__doc__ = func.__doc__
        setattr(run, _ATTRIBUTE, spec)
        made = task(run, takes_context=True, priority=priority, queue_name=queue_name)
        return cast("Task[P, dict[str, str]]", made)

    return decorate


def _spec_of(task_obj: Task[Any, Any]) -> _Spec:
    spec = getattr(task_obj.func, _ATTRIBUTE, None)
    if not isinstance(spec, _Spec):
        raise TypeError(
            f"{task_obj.module_path} is not an outbox task; define it with @outbox_task(...)"
        )
    return spec


def policy_of(task_obj: Task[Any, Any]) -> RetryPolicy:
    """The retry policy an outbox task was declared with."""
    return _spec_of(task_obj).policy


# --- enqueueing -----------------------------------------------------------------------


def _id_value(task_name: str, name: str, value: object) -> object:
    if value is None or isinstance(value, int):  # bool is an int
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        if len(value) <= ID_MAX_LENGTH and "@" not in value and not any(c.isspace() for c in value):
            return value
        raise ValueError(
            f"{task_name}: argument {name!r} does not look like an id (it has an '@', a space "
            f"or more than {ID_MAX_LENGTH} characters). Queue the id of the row holding the "
            "value; the task reads it when it runs."
        )
    raise ValueError(
        f"{task_name}: argument {name!r} is a {type(value).__name__}; tasks take ids only "
        "(an int, a UUID or a short string without '@' or spaces)."
    )


def _checked_arguments(
    spec: _Spec, task_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    try:
        spec.signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{task_name}: {exc}") from None
    names = [
        p.name
        for p in spec.signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    checked_args = [
        _id_value(task_name, names[i] if i < len(names) else f"args[{i}]", value)
        for i, value in enumerate(args)
    ]
    checked_kwargs = {key: _id_value(task_name, key, value) for key, value in kwargs.items()}
    return checked_args, checked_kwargs


def enqueue[**Q](task_obj: Task[Q, Any], *args: Q.args, **kwargs: Q.kwargs) -> OutboxItem:
    """Queue an outbox task with id arguments, inside the caller's transaction.

    Refuses (ValueError, naming the argument) anything that is not an id. The task row and
    its OutboxItem are written in the current transaction: if it rolls back, neither
    exists. To delay the first attempt: ``enqueue(my_task.using(run_after=when), ...)``.
    """
    spec = _spec_of(task_obj)
    checked_args, checked_kwargs = _checked_arguments(spec, task_obj.name, args, kwargs)
    now = clock.now()
    with transaction.atomic():
        result = task_obj.enqueue(*checked_args, **checked_kwargs)
        return OutboxItem.objects.create(
            task_path=task_obj.module_path,
            arguments={"args": checked_args, "kwargs": checked_kwargs},
            state=OutboxItem.State.PENDING,
            next_attempt_at=task_obj.run_after or now,
            task_result_id=uuid.UUID(str(result.id)),
            created_at=now,
            updated_at=now,
        )


# --- running --------------------------------------------------------------------------


def _person_id(spec: _Spec, args: list[Any], kwargs: dict[str, Any]) -> Any:
    first = next(iter(spec.signature.parameters))
    return args[0] if args else kwargs.get(first)


def _start(
    context: TaskContext[Any, Any], spec: _Spec, args: list[Any], kwargs: dict[str, Any]
) -> OutboxItem | None:
    result_id = context.task_result.id
    now = clock.now()
    with transaction.atomic():
        item = OutboxItem.objects.select_for_update().filter(task_result_id=result_id).first()
        if item is None:
            # Enqueued with Task.enqueue rather than outbox.enqueue: track it from here on.
            item = OutboxItem(
                task_path=context.task_result.task.module_path,
                arguments={"args": args, "kwargs": kwargs},
                task_result_id=result_id,
                created_at=now,
            )
            logger.warning(
                "Task %s was enqueued without gardien.processors.outbox.enqueue; "
                "its arguments were not checked.",
                item.task_path,
            )
        elif item.state != OutboxItem.State.PENDING:
            logger.warning("Outbox item %s is %s; this attempt does nothing.", item.id, item.state)
            return None
        item.attempts += 1
        item.state = OutboxItem.State.RUNNING
        item.next_attempt_at = None
        item.updated_at = now
        item.save()
    return item


def _finish(item: OutboxItem, state: str) -> None:
    item.state = state
    item.updated_at = clock.now()
    item.save(update_fields=["state", "updated_at"])


def _schedule_retry_or_bury(
    item: OutboxItem,
    task_obj: Task[Any, Any],
    policy: RetryPolicy,
    error: str,
    *,
    permanent: bool = False,
    retry_after: float | None = None,
) -> str:
    """Record a failed attempt; enqueue the next one or mark the item dead. Returns the outcome.

    ``permanent``: dead at once, whatever the attempts left. ``retry_after``: the seconds the
    processor asked to wait, see :meth:`RetryPolicy.delay_after`.
    """
    now = clock.now()
    with transaction.atomic():
        item.last_error = error
        item.updated_at = now
        if permanent or item.attempts >= policy.max_attempts:
            item.state = OutboxItem.State.DEAD
            item.next_attempt_at = None
            outcome = "dead"
        else:
            run_after = now + policy.delay_after(item.attempts, retry_after)
            arguments = item.arguments or {}
            result = task_obj.using(run_after=run_after).enqueue(
                *arguments.get("args", []), **arguments.get("kwargs", {})
            )
            item.state = OutboxItem.State.PENDING
            item.next_attempt_at = run_after
            item.task_result_id = uuid.UUID(str(result.id))
            outcome = "retry"
        item.save()
    if outcome == "dead" and permanent:
        logger.error(
            "Outbox item %s (%s) failed permanently at attempt %d and will not be retried; "
            "it needs attention: %s",
            item.id,
            item.task_name,
            item.attempts,
            error,
        )
    elif outcome == "dead":
        logger.error(
            "Outbox item %s (%s) is dead after %d attempts: %s",
            item.id,
            item.task_name,
            item.attempts,
            error,
        )
    else:
        logger.warning(
            "Outbox item %s (%s) attempt %d failed, next attempt at %s%s: %s",
            item.id,
            item.task_name,
            item.attempts,
            item.next_attempt_at.isoformat() if item.next_attempt_at else "-",
            f" (asked to wait {retry_after:g} s)" if retry_after is not None else "",
            error,
        )
    return outcome


def _attempt(
    context: TaskContext[Any, Any], spec: _Spec, args: list[Any], kwargs: dict[str, Any]
) -> dict[str, str]:
    item = _start(context, spec, args, kwargs)
    if item is None:
        return {"outcome": "ignored"}
    task_obj = context.task_result.task
    try:
        if spec.policy.activity is not None:
            from gardien.vault.services import is_restricted

            if is_restricted(_person_id(spec, args, kwargs), spec.policy.activity):
                _finish(item, OutboxItem.State.SKIPPED)
                logger.info(
                    "Outbox item %s skipped: the person's processing is restricted.", item.id
                )
                attempt_finished.send(sender=OutboxItem, item=item, outcome="skipped")
                return {"outbox": str(item.id), "outcome": "skipped"}
        spec.func(*args, **kwargs)
    except Exception as exc:
        error = _describe(exc)
        permanent = isinstance(exc, Permanent)
        outcome = _schedule_retry_or_bury(
            item,
            task_obj,
            spec.policy,
            error,
            permanent=permanent,
            retry_after=None if permanent else _retry_after_of(exc),
        )
        attempt_finished.send(sender=OutboxItem, item=item, outcome=outcome)
        raise AttemptFailed(f"outbox item {item.id}, attempt {item.attempts}: {error}") from None
    except BaseException as exc:  # the worker is being stopped: count the attempt, retry later
        _schedule_retry_or_bury(item, task_obj, spec.policy, _describe(exc))
        raise
    _finish(item, OutboxItem.State.DONE)
    attempt_finished.send(sender=OutboxItem, item=item, outcome="done")
    return {"outbox": str(item.id), "outcome": "done"}


# --- back office and upkeep -----------------------------------------------------------


def retry_dead(items: Iterable[OutboxItem]) -> int:
    """Start dead items again from attempt 1, due now; returns how many were re-enqueued."""
    count = 0
    for candidate in items:
        with transaction.atomic():
            item = (
                OutboxItem.objects.select_for_update()
                .filter(pk=candidate.pk, state=OutboxItem.State.DEAD)
                .first()
            )
            if item is None:
                continue
            try:
                task_obj = import_string(item.task_path)
                _spec_of(task_obj)
            except (ImportError, TypeError) as exc:
                item.last_error = scrub(f"cannot retry: {exc}")
                item.updated_at = clock.now()
                item.save(update_fields=["last_error", "updated_at"])
                continue
            arguments = item.arguments or {}
            result = task_obj.enqueue(*arguments.get("args", []), **arguments.get("kwargs", {}))
            item.attempts = 0
            item.state = OutboxItem.State.PENDING
            item.next_attempt_at = clock.now()
            item.updated_at = item.next_attempt_at
            item.task_result_id = uuid.UUID(str(result.id))
            item.save()
            count += 1
    return count


def recover_stalled(stalled_after: dt.timedelta = STALLED_AFTER) -> int:
    """Count attempts whose worker died mid-task as failed, and schedule their retry.

    An attempt is stalled when its task row has been running for ``stalled_after``
    (wall-clock), or is no longer running while the item still is.
    """
    from django_tasks_db.models import DBTaskResult

    wall = timezone.now()
    recovered = 0
    for item in OutboxItem.objects.filter(state=OutboxItem.State.RUNNING):
        row = (
            DBTaskResult.objects.filter(pk=item.task_result_id).first()
            if item.task_result_id is not None
            else None
        )
        if row is not None and row.status == TaskResultStatus.RUNNING:
            if row.started_at is None or row.started_at > wall - stalled_after:
                continue
        elif row is not None and row.status == TaskResultStatus.READY:
            continue
        try:
            task_obj = import_string(item.task_path)
            policy = policy_of(task_obj)
        except (ImportError, TypeError):
            logger.exception("Outbox item %s is stalled and its task cannot be loaded.", item.id)
            continue
        with transaction.atomic():
            locked = (
                OutboxItem.objects.select_for_update()
                .filter(
                    pk=item.pk, state=OutboxItem.State.RUNNING, task_result_id=item.task_result_id
                )
                .first()
            )
            if locked is None:
                continue
            if row is not None and row.status == TaskResultStatus.RUNNING:
                DBTaskResult.objects.filter(pk=row.pk).update(
                    status=TaskResultStatus.FAILED,
                    finished_at=wall,
                    exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                    traceback=f"{WORKER_LOST_MESSAGE.capitalize()}.",
                )
            outcome = _schedule_retry_or_bury(
                locked, task_obj, policy, f"{WorkerLost.__name__}: {WORKER_LOST_MESSAGE}"
            )
        attempt_finished.send(sender=OutboxItem, item=locked, outcome=outcome)
        recovered += 1
    return recovered


def register_periodic_jobs() -> None:
    """The outbox's upkeep, registered by ``ProcessorsConfig.ready()`` (idempotent)."""
    periodic("outbox.recover_stalled", every=RECOVER_STALLED_EVERY)(recover_stalled)
