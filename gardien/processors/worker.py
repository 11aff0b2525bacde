"""The worker behind ``gardien worker``: django-tasks-db's Worker, with Gardien's clock.

Differences from ``db_worker``: due times are compared with ``gardien.lib.clock.now()``
(so ``--now`` works), periodic jobs run between batches, SIGTERM/SIGINT stop it after the
current task (a second signal stops it at once), and it counts outcomes for a summary.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.db import connections
from django.db.models import Q
from django.db.utils import OperationalError
from django.tasks import TaskResultStatus
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from gardien.lib import clock, stop
from gardien.processors import outbox, periodic

logger = logging.getLogger("gardien.processors")

#: In the long-running mode, periodic jobs are looked at no more often than this.
PERIODIC_CHECK_SECONDS = 30.0

_SIGNALS = [signal.SIGINT, signal.SIGTERM]


def close_old_connections() -> None:
    """Django's close_old_connections, sparing a connection inside a transaction.

    The worker is never inside one at the top of its loop, except when a test runs it
    in-process within the test's transaction, which closing would break.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


class OutboxWorker(Worker):
    def __init__(
        self,
        *,
        queue_names: list[str],
        interval: float = 1.0,
        batch: bool = False,
        backend_name: str = "default",
        max_tasks: int | None = None,
        force_periodic: bool = False,
    ) -> None:
        super().__init__(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        self.force_periodic = force_periodic
        self.outcomes: Counter[str] = Counter()
        self._outcome: str | None = None
        self._wake = threading.Event()

    # --- signals ------------------------------------------------------------------------

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning("Received %s again: stopping now.", signal.strsignal(signum))
            self.reset_signals()
            sys.exit(1)
        logger.warning(
            "Received %s: stopping after the current task (send it again to stop at once).",
            signal.strsignal(signum),
        )
        self.running = False
        stop.request()  # a periodic job (the purge) stops between its batches
        self._wake.set()

    @contextmanager
    def signals_installed(self) -> Iterator[None]:
        """Install the stop handlers for the duration of the run, then restore the previous."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        for sig in _SIGNALS:
            signal.signal(sig, self.shutdown)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def reset_signals(self) -> None:
        for sig in _SIGNALS:
            signal.signal(sig, signal.SIG_DFL)

    # --- the loop -----------------------------------------------------------------------

    def due_tasks(self) -> Any:
        tasks = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, backend_name=self.backend_name
        ).filter(Q(run_after=get_date_max()) | Q(run_after__lte=clock.now()))
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        return tasks

    def claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """The next due task, claimed; and whether the database could be asked at all."""
        tasks = self.due_tasks()
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as exc:
                if is_locked_database_exception(exc):
                    return None, False
                raise
        return task_result, True

    def run_periodic(self) -> None:
        try:
            ran = periodic.run_due(holder=self.worker_id, force=self.force_periodic)
        except Exception:
            logger.exception("Periodic jobs could not run; trying again later.")
            return
        if ran:
            logger.debug("Periodic jobs run: %s", ", ".join(ran))

    def run(self) -> None:
        logger.log(
            logging.DEBUG if self.batch else logging.INFO,
            # The process id, not worker_id: a random token the log's redaction hides.
            "Gardien worker started (process %s, queues: %s).",
            os.getpid(),
            ", ".join(self.queue_names),
        )
        outbox.attempt_finished.connect(self._note_outcome)
        stop.clear()
        try:
            self._loop()
        finally:
            outbox.attempt_finished.disconnect(self._note_outcome)
            stop.clear()

    def _loop(self) -> None:
        periodic_done_in_batch = False
        last_periodic = float("-inf")
        while self.running:
            close_old_connections()
            task_result, asked = self.claim_next()
            if task_result is not None:
                self.run_task(task_result)
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                continue
            if asked:
                # The queue is empty for now: this is "between batches".
                if self.batch:
                    if periodic_done_in_batch:
                        return
                    periodic_done_in_batch = True
                    self.run_periodic()
                    continue  # run what the periodic jobs enqueued, then stop
                if time.monotonic() - last_periodic >= PERIODIC_CHECK_SECONDS:
                    last_periodic = time.monotonic()
                    self.run_periodic()
            close_old_connections()
            if self.running:
                self._wake.wait(self.interval)

    # --- outcomes -----------------------------------------------------------------------

    def _note_outcome(self, sender: Any, outcome: str, **kwargs: Any) -> None:
        self._outcome = outcome

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self._outcome = None
        super().run_task(db_task_result)
        outcome = self._outcome
        if outcome is None or outcome == "ignored":
            # A plain Django task (no outbox item): it is not retried.
            successful = db_task_result.status == TaskResultStatus.SUCCESSFUL
            outcome = "done" if successful else "dead"
        self.outcomes[outcome] += 1

    def summary(self) -> str:
        """The end-of-run line, in the active language: "Ran 3 tasks: 2 done, …"."""
        total = sum(self.outcomes.values())
        counts = {name: self.outcomes[name] for name in ("done", "skipped", "retry", "dead")}
        parts = [_("%(done)d done") % counts]
        if counts["skipped"]:
            parts.append(_("%(skipped)d skipped (restricted)") % counts)
        parts.append(_("%(retry)d retried later") % counts)
        parts.append(_("%(dead)d dead") % counts)
        ran = ngettext("Ran %(total)d task: %(parts)s.", "Ran %(total)d tasks: %(parts)s.", total)
        return ran % {"total": total, "parts": ", ".join(parts)}
