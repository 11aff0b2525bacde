"""`gardien backup` and `gardien restore`: what they do, apart from how they talk.

An archive is an encrypted, gzip-compressed tar stream (see :mod:`gardien.backup.archive`) of::

    backup.json            when it was taken, the database's kind, the tombstone list's length
    database.sqlite3       or database.pgdump
    private/…              the private files (identity documents, encrypted at rest already)

A restore decrypts and checks the whole archive before it touches anything, puts the database
and the files back into an empty instance, brings its tables up to date, then replays every
erasure and purge recorded since the backup was taken, before Gardien serves anything. From
its first write to the end of the replay, a marker keeps Gardien from starting
(:mod:`gardien.backup.restoring`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext as _

from gardien.backup import archive, database, restoring, tombstones
from gardien.backup.tombstones import Tombstone

FORMAT = "gardien-backup/1"
#: How long before a backup an erasure of one activity, a forgetting or a purge may have been
#: recorded and still have committed after the backup's copy began (see :func:`replay`).
REPLAY_MARGIN = dt.timedelta(minutes=10)

Say = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or a restore that cannot be carried out; the message says why."""


def _quiet(message: str) -> None:
    pass


def _private_dir() -> Path:
    return Path(settings.GARDIEN_PRIVATE_FILES_DIR)


def _private_files() -> list[Path]:
    root = _private_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


SCRATCH_PREFIX = ".backup-"
_OWNER = "owner.pid"


def _scratch() -> tempfile.TemporaryDirectory[str]:
    """A private directory beside the data (the copy of the database waits there).

    It holds the database in clear while a backup or a restore runs, and is removed when it
    ends, even on an error. A process killed outright (``kill -9``, a power cut) cannot
    remove it: the next backup or restore does (:func:`remove_stale_scratch`), and until
    then ``gardien check --deploy`` warns of it (gardien.W131).
    """
    root = Path(settings.VAR_DIR)
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch()
    scratch = tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=root)
    (Path(scratch.name) / _OWNER).write_text(str(os.getpid()), encoding="ascii")
    return scratch


def stale_scratch() -> list[Path]:
    """The scratch directories left by a backup or restore whose process no longer runs."""
    root = Path(settings.VAR_DIR)
    if not root.is_dir():
        return []
    return [p for p in sorted(root.glob(SCRATCH_PREFIX + "*")) if p.is_dir() and not _alive(p)]


def remove_stale_scratch() -> int:
    """Remove what :func:`stale_scratch` finds; how many directories went."""
    stale = stale_scratch()
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)


def _alive(scratch: Path) -> bool:
    """Whether the process that made ``scratch`` still runs (on this machine)."""
    try:
        pid = int((scratch / _OWNER).read_text(encoding="ascii"))
    except (OSError, ValueError):
        # No owner written yet: a directory made this instant, or by an older Gardien. Only
        # one a minute old or more is taken as abandoned.
        try:
            return time.time() - scratch.stat().st_mtime < 60
        except OSError:
            return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True


def check_no_stale_scratch(**_kwargs: Any) -> list[Any]:
    """``gardien check --deploy`` (gardien.W131): a decrypted copy left by a killed process."""
    from django.core.checks import Warning

    stale = stale_scratch()
    if not stale:
        return []
    return [
        Warning(
            _(
                "A backup or a restore was interrupted and left a decrypted copy of the data in "
                "%(path)s. The next backup or restore removes it; or delete that folder now."
            )
            % {"path": stale[0]},
            id="gardien.W131",
        )
    ]


# --- backup ------------------------------------------------------------------------------


@dataclass
class Taken:
    path: Path
    taken_at: dt.datetime
    database_bytes: int
    files: int
    archive_bytes: int
    seconds: float


def backup(to: Path, *, say: Say = _quiet) -> Taken:
    """Write an encrypted archive of the database and the private files to ``to``."""
    started = time.monotonic()
    # Taken before the copy starts: an erasure recorded from now on is replayed on restore,
    # even one the copy may already show (erasing twice changes nothing).
    taken_at = tombstones._wall_clock()
    position = tombstones.position()
    partial = to.with_name(to.name + ".partial")
    with _scratch() as scratch:
        copy = Path(scratch) / "database"
        say(_("Copying the database…"))
        member = database.snapshot(copy, _percent(say))
        files = _private_files()
        meta = {
            "format": FORMAT,
            "taken_at": taken_at.isoformat(),
            "tombstones": {
                "file": tombstones.FILE_NAME,
                "position": position,
                "sha256": tombstones.digest(position),
            },
            "database": member,
            "files": len(files),
        }
        say(_("Encrypting the database and %(n)d private files…") % {"n": len(files)})
        with open(partial, "wb") as out:
            writer = archive.EncryptingWriter(out)
            with tarfile.open(fileobj=writer, mode="w|gz", compresslevel=6) as tar:  # type: ignore[call-overload]
                _add_bytes(tar, "backup.json", json.dumps(meta, indent=2).encode("utf-8"))
                tar.add(copy, arcname=member, recursive=False)
                for path in files:
                    tar.add(path, arcname=f"private/{path.relative_to(_private_dir())}")
            writer.close()
            out.flush()
            _fsync(out)
        partial.chmod(0o600)
        partial.replace(to)  # never a half-written archive under the final name
        database_bytes = copy.stat().st_size
    return Taken(
        path=to,
        taken_at=taken_at,
        database_bytes=database_bytes,
        files=len(files),
        archive_bytes=to.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _fsync(out: Any) -> None:
    os.fsync(out.fileno())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _percent(say: Say) -> database.Progress:
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        if percent // 25 > shown[0] // 25:
            shown[0] = percent
            say(_("  %(percent)d%%") % {"percent": percent})

    return progress


# --- restore -----------------------------------------------------------------------------


@dataclass
class Restored:
    taken_at: dt.datetime
    files: int
    erased: list[Tombstone] = field(default_factory=list)
    absent: int = 0  # erasures of people the backup did not hold
    forgotten: int = 0  # unconfirmed sign-ups and cookie proofs forgotten again
    purge_at: dt.datetime | None = None
    purged: int = 0
    purge_note: str = ""
    unreadable: list[int] = field(default_factory=list)  # lines of the list that were skipped


def restore(source: Path, *, say: Say = _quiet, list_lost: bool = False) -> Restored:
    """Restore ``source`` into this empty instance, then replay what happened since."""
    with _scratch() as scratch:
        plain = Path(scratch) / "archive.tar"
        say(_("Decrypting and checking the backup…"))
        try:
            with open(source, "rb") as encrypted, open(plain, "wb") as out:
                archive.decrypt_to(encrypted, out)
        except FileNotFoundError:
            raise BackupError(_("There is no file %(path)s.") % {"path": source}) from None
        except archive.ArchiveError as exc:
            raise BackupError(
                _("This backup cannot be restored: %(reason)s. Nothing was changed.")
                % {"reason": exc}
            ) from None
        unpacked = Path(scratch) / "unpacked"
        with tarfile.open(plain, mode="r:gz") as tar:
            tar.extractall(unpacked, filter="data")
        plain.unlink()
        meta = json.loads((unpacked / "backup.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise BackupError(_("This backup was written by another version of Gardien."))
        if list_lost:
            say(
                _(
                    "The list of erasures is declared lost: people erased since the backup "
                    "will be back; erase them again from your rights requests."
                )
            )
        else:
            _refuse_unless_tombstones(meta.get("tombstones") or {})
        _refuse_unless_empty()
        restoring.begin(source)  # removed only after the replay: see gardien/backup/restoring.py
        say(_("Restoring the database…"))
        database.restore(unpacked / meta["database"], meta["database"], _percent(say))
        files = _restore_files(unpacked / "private")
    say(_("Bringing the tables up to date…"))
    call_command("migrate", verbosity=0, interactive=False)
    result = Restored(taken_at=dt.datetime.fromisoformat(meta["taken_at"]), files=files)
    say(_("Replaying the erasures and purges recorded since the backup…"))
    replay(result)
    restoring.finish()
    return result


def _refuse_unless_tombstones(recorded: dict[str, Any]) -> None:
    """The tombstone list must be the one the backup's instance kept, at least as long as it
    was when the backup was taken: an older, missing or foreign list would let the restore
    bring back people erased since, without a word."""
    position = int(recorded.get("position") or 0)
    if position == 0:
        return
    here = tombstones.position()
    expected = recorded.get("sha256")
    if here < position or (expected and tombstones.digest(position) != expected):
        raise BackupError(
            _(
                "The list of erasures in %(path)s is not the one this backup's Gardien kept "
                "(missing, older or another instance's), so the restore could bring back "
                "people erased since. Copy the latest %(file)s of that Gardien into "
                "GARDIEN_TOMBSTONES_DIR, then run the restore again. Nothing was changed. "
                "(If that list is lost for good: --list-of-erasures-lost.)"
            )
            % {"path": tombstones.directory(), "file": tombstones.FILE_NAME}
        )


def _refuse_unless_empty() -> None:
    tables = database.holds_data()
    if tables:
        raise BackupError(
            _(
                "The database already holds data (%(tables)s): a backup is restored only into "
                "an empty instance, so nothing is overwritten. Point DATABASE_URL at a new, "
                "empty database, then run the restore again."
            )
            % {"tables": ", ".join(sorted(tables)[:5]) + ("…" if len(tables) > 5 else "")}
        )
    private = _private_dir()
    if private.is_dir() and any(p.is_file() for p in private.rglob("*")):
        raise BackupError(
            _(
                "%(path)s already holds files: a backup is restored only into an empty "
                "instance. Move them aside, then run the restore again."
            )
            % {"path": private}
        )


def _restore_files(source: Path) -> int:
    if not source.is_dir():
        return 0
    target = _private_dir()
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            count += 1
    return count


def replay(result: Restored) -> None:
    """Erase again everyone erased since the backup, through the vault (so every activity's
    records go, as they went then), then run the retention purge: at the present, or at the
    latest instant a purge since the backup applied the rules at, if later."""
    from gardien.audit.services import Actor
    from gardien.consent import services as consent
    from gardien.lib import clock
    from gardien.newsletter.models import PendingSignup
    from gardien.retention import engine
    from gardien.vault import services as vault
    from gardien.vault.models import Person

    # An erasure's line is written in its transaction, before it commits: one begun just
    # before the backup started may have committed after the copy's snapshot, which then
    # still holds the person. So every whole erasure in the list is replayed (a person's id
    # is never reused, and erasing twice changes nothing), and the rest (an activity's
    # erasure, what was forgotten by address or consent reference, purges: a person may
    # have signed up again since) from REPLAY_MARGIN before the backup.
    since = result.taken_at - REPLAY_MARGIN
    stones = [
        s
        for s in tombstones.read(
            since=dt.datetime.min.replace(tzinfo=dt.UTC), unreadable=result.unreadable
        )
        if s.time >= since or (s.kind == "erasure" and s.activity is None)
    ]
    with tombstones.silenced():
        for stone in stones:
            if stone.kind == "forget":
                if stone.email_indexes:
                    result.forgotten += PendingSignup.objects.filter(
                        email_index__in=stone.email_indexes
                    ).delete()[0]
                if stone.consent:
                    result.forgotten += consent.forget(stone.consent)
                continue
            if stone.kind != "erasure":
                continue
            person = Person.objects.filter(pk=stone.ref).first()
            if person is None:
                if stone.time >= result.taken_at:  # (one from before is expected to be gone)
                    result.absent += 1
                continue
            vault.erase(
                person,
                actor=Actor.system(),
                reason=f"restore: erasure of {stone.time.isoformat()} replayed",
                activity=stone.activity,
            )
            result.erased.append(stone)
        instants = [clock.now(), *(s.at for s in stones if s.kind == "purge" and s.at)]
        result.purge_at = max(instants)
        try:
            report = engine.run(result.purge_at, trigger="command")
        except engine.PurgeRefused as exc:
            result.purge_note = str(exc)
        else:
            result.purged = report.removed
