"""The mark of a restore under way: nothing starts on a database restored without its replay.

A restore puts the backup back first and erases again afterwards; stopped in between (a crash,
Ctrl-C, a full disk), the database holds people erased since the backup. So the restore
writes a marker before it changes anything and removes it only once the replay has finished,
and while it exists the web server, the worker and ``gardien check --deploy`` refuse to start.

The marker is a file beside the tombstone list, not a row in the database: it is written
before the database copy (which replaces every table, a row with them) and reaches the disk
before anything else changes; and the tombstone directory is the one every process that erases
shares with the restore, which reads its list there. Emptying the database does not remove it:
the restore run again into the emptied instance does, when its own replay has finished.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from django.core.checks import CheckMessage, Error
from django.utils.translation import gettext as _

from gardien.backup import tombstones

FILE_NAME = "restore-in-progress.json"


def path() -> Path:
    return tombstones.directory() / FILE_NAME


def begin(source: Path) -> None:
    """Mark the restore of ``source`` as under way, on disk, before it writes anything."""
    directory = tombstones.directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = {"started": dt.datetime.now(dt.UTC).isoformat(), "backup": source.name}
    fd = os.open(path(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (json.dumps(data) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    _sync(directory)  # the file's name too, or a crash could forget it


def finish() -> None:
    """The replay has finished: Gardien may start."""
    path().unlink(missing_ok=True)
    _sync(tombstones.directory())


def unfinished() -> bool:
    return path().exists()


def problem() -> str:
    """The sentence that stops a start, or "" when no restore is unfinished."""
    if not unfinished():
        return ""
    return _(
        "a restore (`gardien restore`) stopped before it had erased again the people erased "
        "since its backup, so the database may hold them: empty the database, then run the "
        "restore again (%(marker)s is removed when it finishes)."
    ) % {"marker": path()}


def refuse_unfinished() -> None:
    """For the web server and the worker: stop with the sentence, not a traceback."""
    if reason := problem():
        raise SystemExit(_("Gardien cannot start: %(reason)s") % {"reason": reason})


def check_no_unfinished_restore(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``gardien check --deploy`` (gardien.E130)."""
    reason = problem()
    return [Error(reason[:1].upper() + reason[1:], id="gardien.E130")] if reason else []


def _sync(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
