"""Periodic jobs the worker runs between batches of tasks (the hook for retention and upkeep).

Register a job from its app's ``AppConfig.ready()``, so that every process that loads the
apps (the worker first) has it, whatever was imported before::

    # gardien/retention/jobs.py
    def apply_retention() -> None:
        ...  # ask gardien.lib.clock.now() for the business time

    # gardien/retention/apps.py
    class RetentionConfig(AppConfig):
        def ready(self) -> None:
            from gardien.processors.periodic import periodic
            from gardien.retention.jobs import apply_retention

            periodic("retention.apply", every=dt.timedelta(hours=1))(apply_retention)

Registering is idempotent by name (the outbox's upkeep is registered this way, in
gardien/processors/apps.py).

Each job runs under a lease row in the database, so with several workers only one runs it
at a time, and at most once per ``every`` (wall-clock). ``gardien worker --batch --now``
runs every job once whatever its schedule, at the simulated instant. A failing job is
logged and tried again at its next turn; it never stops the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gardien.processors.models import PeriodicLock

logger = logging.getLogger("gardien.processors")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: Callable[[], object]
    every: dt.timedelta
    # How long the lease lasts: a worker that dies mid-job frees it after this.
    timeout: dt.timedelta = dt.timedelta(hours=1)


JOBS: list[PeriodicJob] = []


def periodic(
    name: str, *, every: dt.timedelta, timeout: dt.timedelta = dt.timedelta(hours=1)
) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register ``func`` to run every ``every`` in the worker (idempotent by name)."""
    if len(name) > 100:
        raise ValueError("a periodic job's name is at most 100 characters")

    def register(func: Callable[[], object]) -> Callable[[], object]:
        JOBS[:] = [job for job in JOBS if job.name != name]
        JOBS.append(PeriodicJob(name=name, func=func, every=every, timeout=timeout))
        return func

    return register


def _acquire(job: PeriodicJob, holder: str, force: bool) -> bool:
    wall = timezone.now()
    try:
        with transaction.atomic():
            PeriodicLock.objects.get_or_create(name=job.name)
    except IntegrityError:  # another worker created it at the same moment
        pass
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=wall)
    due = (
        Q()
        if force
        else Q(last_finished_at__isnull=True) | Q(last_finished_at__lte=wall - job.every)
    )
    taken = PeriodicLock.objects.filter(free & due, name=job.name).update(
        holder=holder[:64], locked_until=wall + job.timeout
    )
    return taken == 1


def _release(job: PeriodicJob, holder: str) -> None:
    PeriodicLock.objects.filter(name=job.name, holder=holder[:64]).update(
        holder="", locked_until=None, last_finished_at=timezone.now()
    )


@contextmanager
def lease(name: str, *, holder: str, timeout: dt.timedelta) -> Iterator[bool]:
    """Hold the lease ``name`` for the block, whoever else asks (a worker's job, a command):
    yields False, holding nothing, when another process holds it."""
    job = PeriodicJob(name=name, func=lambda: None, every=dt.timedelta(0), timeout=timeout)
    taken = _acquire(job, holder, force=True)
    try:
        yield taken
    finally:
        if taken:
            _release(job, holder)


def renew(name: str, *, holder: str, timeout: dt.timedelta) -> bool:
    """Extend a lease this holder still holds; False when it lost it."""
    return (
        PeriodicLock.objects.filter(name=name, holder=holder[:64]).update(
            locked_until=timezone.now() + timeout
        )
        == 1
    )


def run_due(*, holder: str, force: bool = False) -> list[str]:
    """Run each registered job that is due and not running elsewhere; return their names."""
    ran: list[str] = []
    for job in list(JOBS):
        if not _acquire(job, holder, force):
            continue
        try:
            job.func()
        except Exception:
            logger.exception(
                "Periodic job %s failed; it will run again at its next turn.", job.name
            )
        finally:
            _release(job, holder)
        ran.append(job.name)
    return ran
