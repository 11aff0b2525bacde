"""One writer at a time on a SQLite database, across processes, without SQLite's sleeps.

SQLite lets one connection write at a time. A writer that finds the database taken waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10 … milliseconds between tries: far longer
than the write it waits for (a few tenths of a millisecond, its flush to disk included), so
under load the processes spend their time asleep while the database stands idle.

:func:`one_writer` puts a lock file's exclusive lock (``flock``) around a write instead: a
writer waits in the kernel and is woken the moment the one before it is done. Used where
writes come fastest (the page views' groups, gardien/audience/batch.py); other writers are
unaffected and still meet SQLite's own lock, which stays the rule for every write.

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

_opened: dict[str, tuple[int, int]] = {}  # database file: (process id, descriptor)
_lock = threading.Lock()


def lock_path(db: Any) -> str | None:
    """The lock file of connection ``db``'s database, or None where there is none."""
    if fcntl is None or db.vendor != "sqlite" or db.is_in_memory_db():
        return None
    return f"{db.settings_dict['NAME']}{SUFFIX}"


def _descriptor(path: str) -> int | None:
    """The lock file, opened once in each process: a descriptor inherited through a fork is
    shared with the parent, and a lock taken on it would not keep the two apart."""
    pid = os.getpid()
    with _lock:
        opened = _opened.get(path)
        if opened is not None and opened[0] == pid:
            return opened[1]
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            logger.warning(
                "The lock file beside the database cannot be opened (%s); writes wait in "
                "SQLite's busy handler instead.",
                exc.strerror,
            )
            fd = -1
        _opened[path] = (pid, fd)
        return fd if fd >= 0 else None


class _Held:
    """The lock of one descriptor, as a context manager (a class: this is on every write of
    the page views, and a generator-based one costs several times more)."""

    __slots__ = ("fd",)

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # waits in the kernel, without the GIL

    def __exit__(self, *exc_info: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


_NOTHING = contextlib.nullcontext()


def one_writer(db: Any) -> contextlib.AbstractContextManager[None]:
    """The database's writers' lock (see the module's docstring), to hold with ``with``
    while writing; a context that does nothing where there is no lock file.

    Within a process the lock is not exclusive (threads share the descriptor): the caller
    lets one thread write at a time, as the page views' group does."""
    if db.vendor != "sqlite":
        return _NOTHING
    path = lock_path(db)
    fd = _descriptor(path) if path is not None else None
    return _NOTHING if fd is None else _Held(fd)
