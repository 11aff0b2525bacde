"""Page views written in groups: one transaction for every view that arrived meanwhile.

``POST /api/audience`` is called on every page view of the organisation's sites; one
transaction per view would spend most of the database's time committing (on SQLite, one
writer at a time). So each web process runs one writer thread: a request hands its row to
the writer and waits; the writer takes every row queued (up to ``MAX_ROWS``) and inserts
them with one ``bulk_create`` in one transaction, then wakes their requests. The request
answers 204 only after that commit, so a view acknowledged is stored; a crash loses only
views not yet acknowledged, which the beacon does not retry anyway.

The writer does not linger to gather rows: while it commits one group (a few
milliseconds), the next one queues up, so groups grow with the traffic and a lone view
waits no longer than its own commit. Under gunicorn, groups form when a worker serves
several requests at once (``--threads``); with one request per worker, each view is its
own group.

The writer starts at the first view a process receives (after gunicorn's fork), uses its
own database connection (Django keeps one per thread), and is stopped at exit after the
rows queued are written. A caller already inside a transaction (a test's ``TestCase``, a
command) writes its row there itself: another thread could neither see that transaction
nor commit within it.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from dataclasses import dataclass, field

from django.db import close_old_connections, connection, transaction

from gardien.audience.models import PageView

logger = logging.getLogger("gardien.audience")

#: The most rows one transaction inserts.
MAX_ROWS = 500
#: How long a request waits for its row's commit before answering that it could not store it.
WAIT_SECONDS = 10.0


class NotStored(Exception):
    """The page view could not be stored (the database refused it or did not answer)."""


@dataclass
class _Pending:
    row: PageView
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class Writer:
    """One process's writer thread and its queue."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="gardien-audience-writer")
        self.thread.daemon = True  # never keeps a process alive; stop() flushes at exit
        self.thread.start()

    def write(self, row: PageView) -> None:
        pending = _Pending(row)
        self.queue.put(pending)
        if not pending.done.wait(WAIT_SECONDS):
            raise NotStored("the database did not answer in time")
        if pending.error is not None:
            raise NotStored(str(pending.error)) from pending.error

    def stop(self) -> None:
        """Write what is queued, stop the thread (it closes its connection)."""
        self.queue.put(None)
        self.thread.join(WAIT_SECONDS)

    def _run(self) -> None:
        try:
            while True:
                first = self.queue.get()
                if first is None:
                    return
                group = [first]
                stopping = False
                while len(group) < MAX_ROWS:
                    try:
                        more = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stopping = True
                        break
                    group.append(more)
                self._write(group)
                if stopping:
                    return
        finally:
            connection.close()

    def _write(self, group: list[_Pending]) -> None:
        # As a request would: drop a connection that failed or outlived CONN_MAX_AGE.
        close_old_connections()
        try:
            with transaction.atomic():
                PageView.objects.bulk_create([pending.row for pending in group])
        except Exception:
            if len(group) == 1:
                group[0].error = NotStored("refused by the database")
                logger.exception("audience: a page view could not be stored")
            else:
                # One row the database refuses must not cost the others: one by one.
                for pending in group:
                    self._write([pending])
                return
        for pending in group:
            pending.done.set()


_lock = threading.Lock()
_writer: Writer | None = None


def write(row: PageView) -> None:
    """Store ``row``; return once it is committed (raises :class:`NotStored` otherwise)."""
    if connection.in_atomic_block:
        row.save(force_insert=True)
        return
    _current().write(row)


def _current() -> Writer:
    global _writer
    writer = _writer
    if writer is None or writer.pid != os.getpid() or not writer.thread.is_alive():
        with _lock:
            writer = _writer
            # A writer made before a fork (its thread did not survive it) is replaced.
            if writer is None or writer.pid != os.getpid() or not writer.thread.is_alive():
                writer = _writer = Writer()
    return writer


def stop() -> None:
    """Stop this process's writer once its queue is written (at exit, and between tests)."""
    global _writer
    with _lock:
        writer, _writer = _writer, None
    if writer is not None and writer.pid == os.getpid():
        writer.stop()


atexit.register(stop)
