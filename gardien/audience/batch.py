"""Page views written in groups: one transaction for every view that arrived meanwhile.

``POST /api/audience`` is called on every page view of the organisation's sites; one
transaction per view would spend most of the database's time committing (on SQLite, one
writer at a time). So the requests of one process commit together, leader and followers:
a request puts its row in the process's queue; if no write is under way it becomes the
leader and, in its own thread with its own database connection, takes every row queued
(its own included, up to ``MAX_ROWS``) and inserts them in one transaction, then marks them
committed and wakes their requests. A request arriving while a write is under way waits
for its row; when that write ends without it, one of the waiting requests leads the next.
On PostgreSQL two groups of a process may be written at once (``WRITERS``): the server
flushes concurrent commits to disk together, so a second group need not wait for the
first one's flush; on SQLite, one writer at a time, one group at a time (and the
processes take turns through ``gardien.lib.writers``).

No thread of its own and no hand-off: a lone view is written by its own request, as
quickly as one INSERT; under load, rows queue up while one group commits, so groups grow
with the traffic. Under gunicorn, groups form when a worker serves several requests at
once (threads, see gardien/gunicorn.conf.py); with one request per worker, each view is
its own group.

A request answers 204 only after the commit holding its row, so a view acknowledged is
stored; a crash loses only views not yet acknowledged, which the beacon does not retry
anyway. A group the database refuses is written again row by row, so a bad row costs only
its own view. A caller already inside a transaction (a test's ``TestCase``, a command)
writes its row there itself: a group written by another request could neither see that
transaction nor commit within it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import DatabaseError, connections, models, router

from gardien.audience.models import PageView
from gardien.lib.writers import one_writer

try:
    import psycopg
except ImportError:  # an installation for SQLite only
    psycopg = None  # type: ignore[assignment]

logger = logging.getLogger("gardien.audience")

#: The most rows one transaction inserts.
MAX_ROWS = 500
#: The most groups one process writes at once on PostgreSQL (see :func:`max_writers`).
WRITERS = 2
#: The most rows waiting in one process; past it a view is answered 503 at once.
MAX_QUEUED = 5000
#: How long a request waits for its row's commit before answering that it could not store it.
WAIT_SECONDS = 10.0


class Row(NamedTuple):
    """One page view's values, in the order of the INSERT: a model instance costs more to
    build than the rest of the page view's checks, and only the values are written."""

    viewed_at: dt.datetime
    site: str
    path: str
    referrer: str
    screen: str
    lang: str
    entry: bool
    visitor: str


class NotStored(Exception):
    """The page view could not be stored (the database refused it or did not answer)."""


class _Pending:
    """A row waiting for its commit, and what became of it."""

    __slots__ = ("done", "error", "row")

    def __init__(self, row: Row | PageView) -> None:
        self.row = row if isinstance(row, Row) else _values(row)
        self.done = False
        self.error: NotStored | None = None


class Group:
    """One process's queue of rows and how many leaders are writing."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.queue: deque[_Pending] = deque()
        self.writers = 0
        self.changed = threading.Condition(threading.Lock())

    def write(self, row: Row | PageView) -> None:
        """Store ``row``: lead a write, or wait for the leader that takes it."""
        pending = _Pending(row)
        deadline = time.monotonic() + WAIT_SECONDS
        most = max_writers()
        with self.changed:
            if len(self.queue) >= MAX_QUEUED:
                raise NotStored("too many page views waiting to be written")
            self.queue.append(pending)
            while not pending.done:
                if self.writers < most and self.queue:
                    self._lead()
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    self._give_up(pending)
                    raise NotStored("the database did not answer in time")
                self.changed.wait(left)
        if pending.error is not None:
            raise pending.error

    def _lead(self) -> None:
        """Write the rows queued (the lock held on entry and on return, not meanwhile)."""
        self.writers += 1
        group = [self.queue.popleft() for _ in range(min(max_rows(), len(self.queue)))]
        self.changed.release()
        written = False
        try:
            write_group(group)
            written = True
        finally:
            self.changed.acquire()
            for pending in group:
                if not written and pending.error is None:  # interrupted: nothing is known
                    pending.error = NotStored("the write was interrupted")
                pending.done = True
            self.writers -= 1
            self.changed.notify_all()

    def _give_up(self, pending: _Pending) -> None:
        # Still queued: no leader will take it. Already taken: its leader is stuck in the
        # database; either way the view is not acknowledged.
        with contextlib.suppress(ValueError):
            self.queue.remove(pending)


def write_group(group: list[_Pending]) -> None:
    """Insert the group's rows with one statement; a refused group is tried row by row."""
    try:
        _insert([pending.row for pending in group])
    except Exception:
        if len(group) == 1:
            group[0].error = NotStored("refused by the database")
            logger.exception("audience: a page view could not be stored")
            return
        # One row the database refuses must not cost the others: one by one.
        for pending in group:
            write_group([pending])


def _insert(rows: list[Row]) -> None:
    """One multi-row INSERT, in autocommit: a single statement is its own transaction, so
    there is no BEGIN nor COMMIT to send, and either every row is stored or none.

    Sent on the driver's own cursor: Django's cursor would add, for every group, a health
    check (a round trip, with CONN_HEALTH_CHECKS) and its wrappers, which together cost as
    much as the INSERT. What they are for is done here: the INSERT is the check (when it
    fails on a connection that no longer works, the database restarted, it is sent once
    more on a new one); a connection older than CONN_MAX_AGE is closed first, as the end of
    a request would have closed it (the usual page view sends no request signals,
    gardien/wsgi.py); and the driver's errors become Django's (``wrap_database_errors``).
    """
    alias = _alias()
    db = connections[alias]
    statement, converters = _prepared(alias, len(rows))
    params: list[Any] = [
        value if convert is None else convert(value)
        for row in rows
        for convert, value in zip(converters, row, strict=True)
    ]
    close_at = db.close_at  # type: ignore[attr-defined]  # not in the stubs
    if close_at is not None and time.monotonic() >= close_at:
        db.close()
    kept = db.connection is not None
    try:
        _execute(db, statement, params)
    except DatabaseError:
        if not kept or db.is_usable():
            raise
        db.close()
        _execute(db, statement, params)


def _execute(db: Any, statement: str, params: list[Any]) -> None:
    db.ensure_connection()
    # On SQLite, the processes' groups take turns in the kernel rather than in SQLite's
    # sleeping busy handler: each commit waits for its flush to disk, and the rows that
    # arrive meanwhile form the next group.
    with one_writer(db), db.wrap_database_errors:
        cursor = _cursor(db.connection)
        try:
            cursor.execute(statement, params)
        finally:
            cursor.close()


def _cursor(raw: Any) -> Any:
    """A cursor of the driver's connection ``raw``. On PostgreSQL, one that sends the values
    apart from the statement, which psycopg then prepares once it has been sent a few times
    (one statement for each group size): Django's cursors quote every value into the text,
    and the server parses and plans each INSERT again."""
    if psycopg is not None and isinstance(raw, psycopg.Connection):
        return psycopg.Cursor(raw)
    return raw.cursor()


_COLUMNS = {f.attname: f for f in PageView._meta.concrete_fields if not f.primary_key}
if set(_COLUMNS) != set(Row._fields):
    raise TypeError("batch.Row must name every column of PageView but its key")
_FIELDS = [_COLUMNS[name] for name in Row._fields]


@lru_cache(maxsize=64)
def _prepared(alias: str, rows: int) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    """The INSERT of ``rows`` page views for database ``alias``, built once, in the
    driver's own placeholders (sqlite3's ``?``, psycopg's ``%s``); the ORM would compile
    it again for every group, which costs more than the write itself."""
    db = connections[alias]
    quote_name = db.ops.quote_name
    mark = "?" if db.vendor == "sqlite" else "%s"
    one = f"({', '.join([mark] * len(_FIELDS))})"
    statement = (
        f"INSERT INTO {quote_name(PageView._meta.db_table)} "  # noqa: S608 - names from the model
        f"({', '.join(quote_name(str(field.column)) for field in _FIELDS)}) "
        f"VALUES {', '.join([one] * rows)}"
    )
    zone = db.timezone if db.vendor == "sqlite" else None  # None: without USE_TZ
    instant = _sqlite_instant(zone) if zone is not None else None
    converters = tuple(
        (instant or db.ops.adapt_datetimefield_value)
        if isinstance(field, models.DateTimeField)
        else None
        for field in _FIELDS
    )
    return statement, converters


def _sqlite_instant(zone: dt.tzinfo) -> Callable[[dt.datetime], str]:
    """SQLite's ``adapt_datetimefield_value`` for the instants written here (the text of the
    instant in the connection's zone), without the checks it makes for any value: every row
    costs them, and here they are always dates."""

    def text(value: dt.datetime) -> str:
        return str(value if value.tzinfo is None else value.astimezone(zone).replace(tzinfo=None))

    return text


def _alias() -> str:
    return router.db_for_write(PageView)


@lru_cache(maxsize=4)
def _rows_allowed(alias: str) -> int | None:
    limit = connections[alias].features.max_query_params
    return limit // len(_FIELDS) if limit else None


def max_writers() -> int:
    """How many groups one process writes at once: one on SQLite, which lets one
    connection write at a time (a second would only wait for it); on PostgreSQL
    ``WRITERS``, whose commits the server flushes to disk together, so a view arriving
    while a group commits need not wait for that commit before its own begins."""
    return _writers_allowed(_alias())


@lru_cache(maxsize=4)
def _writers_allowed(alias: str) -> int:
    return 1 if connections[alias].vendor == "sqlite" else WRITERS


def max_rows() -> int:
    """The most rows in one INSERT: ``MAX_ROWS``, or fewer if the database takes fewer
    parameters in one statement (asked once: it does not change in a served process)."""
    allowed = _rows_allowed(_alias())
    return MAX_ROWS if allowed is None else min(MAX_ROWS, allowed)


_lock = threading.Lock()
_group: Group | None = None


def write(row: Row | PageView) -> None:
    """Store ``row``; return once it is committed (raises :class:`NotStored` otherwise)."""
    if connections[_alias()].in_atomic_block:
        (row if isinstance(row, PageView) else PageView(**row._asdict())).save(force_insert=True)
        return
    _current().write(row)


def _values(row: PageView) -> Row:
    return Row(*(getattr(row, name) for name in Row._fields))


def _current() -> Group:
    global _group
    group = _group
    if group is None or group.pid != os.getpid():
        with _lock:
            group = _group
            # A group made before a fork is left to the parent: its lock may be held by a
            # thread that does not exist here.
            if group is None or group.pid != os.getpid():
                group = _group = Group()
    return group


def stop() -> None:
    """Forget this process's group (between tests); rows still queued belong to requests
    still waiting, which lead their own write."""
    global _group
    with _lock:
        _group = None
