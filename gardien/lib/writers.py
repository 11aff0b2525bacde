"""One writer at a time on a SQLite database, across processes, without SQLite's sleeps.

SQLite lets one connection write at a time. A writer that finds the database taken waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10 … milliseconds between tries: far longer
than the write it waits for (a few tenths of a millisecond, its flush to disk included), so
under load the processes spend their time asleep while the database stands idle.

:func:`one_writer` puts a lock file's exclusive lock (``flock``), and within a process a
thread lock, around a write instead: a writer waits in the kernel and is woken the moment
the one before it is done. Used where writes come fastest and each is a statement of its
own, outside any transaction: the page views' groups (gardien/audience/batch.py) and the
prepared INSERTs of ``gardien.lib.sql`` (the consent proofs). Inside a transaction it does
nothing, since the connection may already hold SQLite's lock. Other writers are unaffected
and still meet SQLite's own lock, which stays the rule for every write.

The lock file sits beside the database (``gardien.sqlite3-writers.lock``), holds nothing and
may be deleted while Gardien is stopped. The kernel releases a lock when its holder ends,
however it ends. On PostgreSQL, for a database in memory, or where ``flock`` does not exist,
:func:`one_writer` does nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any

try:
    import fcntl
except ImportError:  # not a POSIX system: SQLite's own lock alone
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("gardien")

SUFFIX = "-writers.lock"

_lock = threading.Lock()


def lock_path(db: Any) -> str | None:
    """The lock file of connection ``db``'s database, or None where there is none."""
    if fcntl is None or db.vendor != "sqlite" or db.is_in_memory_db():
        return None
    return f"{db.settings_dict['NAME']}{SUFFIX}"


class _Held:
    """The writers' lock of one database in one process, as a context manager (a class:
    this is on every write of the page views and proofs, and a generator-based one costs
    several times more). The threads of a process share the descriptor, on which ``flock``
    would let each of them in: they take turns on ``threads`` first."""

    __slots__ = ("fd", "pid", "threads")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pid = os.getpid()
        self.threads = threading.Lock()

    def __enter__(self) -> None:
        self.threads.acquire()
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)  # waits in the kernel, without the GIL
        except BaseException:
            self.threads.release()
            raise

    def __exit__(self, *exc_info: object) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


_held: dict[
    str, _Held | int
] = {}  # database file: its lock here, or the process id that could not open it


def _this_process(path: str) -> _Held | None:
    """The lock file, opened once in each process: a descriptor inherited through a fork is
    shared with the parent, and a lock taken on it would not keep the two apart (nor would
    a thread lock some thread of the parent held at the fork)."""
    pid = os.getpid()
    held = _held.get(path)
    if isinstance(held, _Held) and held.pid == pid:
        return held
    if held == pid:
        return None  # could not be opened in this process: said once
    with _lock:
        held = _held.get(path)
        if isinstance(held, _Held) and held.pid == pid:
            return held
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            logger.warning(
                "The lock file beside the database cannot be opened (%s); writes wait in "
                "SQLite's busy handler instead.",
                exc.strerror,
            )
            _held[path] = pid
            return None
        held = _held[path] = _Held(fd)
        return held


_NOTHING = contextlib.nullcontext()


def one_writer(db: Any) -> contextlib.AbstractContextManager[None]:
    """The database's writers' lock (see the module's docstring), to hold with ``with``
    while writing; a context that does nothing where there is no lock file.

    Inside a transaction, on PostgreSQL, and without a lock file, nothing is held."""
    if db.vendor != "sqlite" or db.in_atomic_block:
        # Inside a transaction the connection may hold SQLite's lock already: waiting here
        # for a writer that waits for that lock would stall both until the busy timeout.
        return _NOTHING
    path = lock_path(db)
    held = _this_process(path) if path is not None else None
    return _NOTHING if held is None else held
