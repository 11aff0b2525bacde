"""The tombstone list: every erasure and every retention purge, kept outside the database and
outside the backups, so that a restore can replay what happened after its backup was taken.

One JSON line per event, appended and flushed to disk before the erasure commits::

    {"time": "2026-11-30T21:59:15.123456+00:00", "kind": "erasure", "person": "<uuid>",
     "activity": null}
    {"time": "…", "kind": "purge", "run": "<uuid>", "at": "<the purge's instant>"}
    {"time": "…", "kind": "forget", "email_indexes": ["<keyed hash>"], "consent": "<id>"}

Only pseudonymous ids: the person's random id, the purge run's id, and for what a rights
erasure forgets by address or consent reference (unconfirmed sign-ups, cookie proofs) the
address's blind indexes (keyed hashes, as the database stores them) and the consent id.
``time`` is the wall clock (what a backup's own time is compared with); ``at`` is the instant
the purge applied the rules at, which a simulated clock may have set.

The line is written inside the erasure's transaction, before it commits: if the erasure then
rolls back, a replay erases again someone an erasure was attempted on, and never brings back
someone erased. A line that cannot be written stops the erasure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

FILE_NAME = "tombstones.jsonl"

_silenced: ContextVar[bool] = ContextVar("gardien_tombstones_silenced", default=False)


@dataclass(frozen=True)
class Tombstone:
    time: dt.datetime
    kind: str  # "erasure", "purge" or "forget"
    ref: str  # the person's id, or the purge run's id ("" for "forget")
    activity: str | None = None  # an erasure of one activity only
    at: dt.datetime | None = None  # the purge's instant
    email_indexes: tuple[str, ...] = ()  # "forget": the address's blind indexes
    consent: str = ""  # "forget": the consent reference quoted


def directory() -> Path:
    return Path(settings.GARDIEN_TOMBSTONES_DIR)


def path() -> Path:
    return directory() / FILE_NAME


def position() -> int:
    """The list's current length in bytes (a backup records it)."""
    try:
        return path().stat().st_size
    except FileNotFoundError:
        return 0


def digest(upto: int) -> str:
    """SHA-256 of the list's first ``upto`` bytes (a backup records it with its position, so a
    restore can tell the list it is given is this instance's, and not older than the backup)."""
    import hashlib

    hasher = hashlib.sha256()
    remaining = upto
    try:
        with open(path(), "rb") as listed:
            while remaining > 0:
                chunk = listed.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                hasher.update(chunk)
                remaining -= len(chunk)
    except FileNotFoundError:
        pass
    return hasher.hexdigest()


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def append(kind: str, **fields: Any) -> None:
    """Append one line and wait until it is on disk."""
    if _silenced.get():
        return
    line = json.dumps({"time": _wall_clock().isoformat(), "kind": kind, **fields}) + "\n"
    directory().mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))  # one write under O_APPEND: lines never interleave
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """While a restore replays the list, what it erases again is not recorded twice."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def read(since: dt.datetime, unreadable: list[int] | None = None) -> list[Tombstone]:
    """Every event recorded at or after ``since``, oldest first. A line cut short by a crash
    (the last one, without its newline) is skipped; any other line that cannot be read is
    skipped too, and its number added to ``unreadable`` (a restore says so)."""
    try:
        text = path().read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            data = json.loads(line)
            stone = Tombstone(
                time=dt.datetime.fromisoformat(data["time"]),
                kind=data["kind"],
                ref=str(data.get("person") or data.get("run") or ""),
                activity=data.get("activity"),
                at=dt.datetime.fromisoformat(data["at"]) if data.get("at") else None,
                email_indexes=tuple(str(i) for i in data.get("email_indexes") or ()),
                consent=str(data.get("consent") or ""),
            )
        except (ValueError, KeyError, TypeError):
            cut_short = number == len(lines) and not text.endswith("\n")
            if unreadable is not None and not cut_short:
                unreadable.append(number)
            continue
        if stone.time >= since:
            found.append(stone)
    return found


# --- where erasures and purges happen --------------------------------------------------


def _on_erasing(sender: Any, person: Any, activity: str | None, **kwargs: Any) -> None:
    # An erasure of everything is recorded when the person's row goes (below).
    if activity is not None:
        append("erasure", person=str(person.pk), activity=activity)


def _on_person_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Every way a person goes: a rights erasure, `forget_activity` (the newsletter's last
    # unsubscription), the retention purge of people nothing refers to any more.
    append("erasure", person=str(instance.pk), activity=None)


def _on_purge_started(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # Recorded when the run starts: a purge stopped halfway is replayed in full.
    if created:
        append("purge", run=str(instance.pk), at=instance.started_at.isoformat())


def _on_forgetting_unlinked(sender: Any, email: str, consent_reference: str, **kwargs: Any) -> None:
    from gardien.lib import crypto

    indexes = crypto.blind_indexes(crypto.normalise_email(email)) if email else []
    if indexes or consent_reference:
        append("forget", email_indexes=indexes, consent=consent_reference or "")


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from gardien.retention.models import PurgeRun
    from gardien.rights.fulfil import forgetting_unlinked
    from gardien.vault.models import Person
    from gardien.vault.services import erasing

    erasing.connect(_on_erasing, dispatch_uid="gardien.backup.erasing")
    post_delete.connect(_on_person_deleted, sender=Person, dispatch_uid="gardien.backup.person")
    post_save.connect(_on_purge_started, sender=PurgeRun, dispatch_uid="gardien.backup.purge")
    forgetting_unlinked.connect(_on_forgetting_unlinked, dispatch_uid="gardien.backup.unlinked")
