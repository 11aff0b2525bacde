"""The audit log's public functions; other apps call only these.

    from gardien.audit.services import Actor, record, verify, purge_before

Each entry's hash is SHA-256 over a canonical JSON of its content and the previous entry's
hash, so editing, removing or inserting an entry in the middle breaks the chain at a
position :func:`verify` names. The chain is not keyed: someone who can write to the
database can rewrite its tail consistently; compare the latest hash ``gardien audit verify``
prints with one noted earlier to detect that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from gardien.audit.models import (
    ACTION_LENGTH,
    GENESIS_HASH,
    REASON_LENGTH,
    REF_LENGTH,
    ActorKind,
    AuditCheckpoint,
    AuditEntry,
)
from gardien.lib import clock

__all__ = [
    "Actor",
    "AuditLogBroken",
    "PurgePlan",
    "VerifyResult",
    "entry_hash",
    "purge_before",
    "purge_for_retention",
    "purge_plan",
    "record",
    "verify",
]

# pg_advisory_xact_lock key serialising writers of the chain ("gardaudt" as a bigint).
_POSTGRES_LOCK = int.from_bytes(b"gardaudt", "big")
_BATCH = 2000

_MAX_LENGTH = {
    "actor_ref": REF_LENGTH,
    "action": ACTION_LENGTH,
    "target_type": REF_LENGTH,
    "target_ref": REF_LENGTH,
    "reason": REASON_LENGTH,
}
_ACTION = re.compile(r"[a-z][a-z0-9_]*")
_TARGET_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Actor:
    """Who did it: a staff account (its pk), the system, or a data subject (a pseudonym)."""

    kind: str
    ref: str

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM.value, "system")

    @classmethod
    def subject(cls, ref: str) -> Actor:
        return cls(ActorKind.SUBJECT.value, ref)

    @classmethod
    def staff(cls, user: Any) -> Actor:
        return cls(ActorKind.STAFF.value, str(user.pk))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_at: int | None = None
    problem: str = ""
    checkpoint_position: int | None = None
    last_position: int | None = None
    last_hash: str = ""


@dataclass(frozen=True)
class PurgePlan:
    """What :func:`purge_before` would remove: ``count`` entries, the last at ``last_position``."""

    count: int
    last_position: int | None


class AuditLogBroken(RuntimeError):
    """The chain is broken where a purge would cut it: purging would erase the evidence."""

    def __init__(self, result: VerifyResult) -> None:
        super().__init__(
            f"The audit log is broken ({result.problem}); nothing was purged, because purging "
            "would erase the evidence. Run `gardien audit verify` and investigate first."
        )
        self.result = result


def entry_hash(
    *,
    position: int,
    at: dt.datetime,
    actor_kind: str,
    actor_ref: str,
    action: str,
    target_type: str,
    target_ref: str,
    reason: str,
    prev_hash: str,
) -> str:
    """SHA-256 of the entry's canonical form: sorted-key JSON, so no field can spill over."""
    if at.tzinfo is None:
        raise ValueError("An audit entry's time must be timezone-aware.")
    canonical = json.dumps(
        {
            "position": position,
            "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_kind": actor_kind,
            "actor_ref": actor_ref,
            "action": action,
            "target_type": target_type,
            "target_ref": target_ref,
            "reason": reason,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        position=entry.position,
        at=entry.at,
        actor_kind=entry.actor_kind,
        actor_ref=entry.actor_ref,
        action=entry.action,
        target_type=entry.target_type,
        target_ref=entry.target_ref,
        reason=entry.reason,
        prev_hash=entry.prev_hash,
    )


def _check(name: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise TypeError(f"audit {name} must be a string, not {type(value).__name__}.")
    if required and not value:
        raise ValueError(f"audit {name} is empty; every entry says who did what to what.")
    if len(value) > _MAX_LENGTH[name]:
        raise ValueError(
            f"audit {name} is {len(value)} characters long; the limit is {_MAX_LENGTH[name]}. "
            "Store a short reference (an id, a rule name), not a description."
        )
    if "@" in value:
        raise ValueError(
            f"audit {name} contains '@' and looks like an email address; the audit log never "
            "holds personal values in clear. Pass a pseudonymous id instead."
        )
    if _CONTROL.search(value):
        raise ValueError(f"audit {name} contains a line break or control character.")
    return value


def _lock_chain() -> None:
    """Serialise writers of the chain until the end of the current transaction.

    SQLite needs nothing: Gardien opens its transactions IMMEDIATE, so writers queue.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_LOCK])


def _newest_checkpoint() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-position").first()


def record(
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_ref: str,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the audit log, inside the caller's transaction if there is one.

    ``target_ref`` and ``actor.ref`` are pseudonymous ids, ``reason`` a retention rule or a
    request reference: anything containing "@" is refused with ValueError.
    """
    if actor.kind not in ActorKind.values:
        raise ValueError(
            f"audit actor kind {actor.kind!r} is unknown; use one of {', '.join(ActorKind.values)}."
        )
    fields = {
        "actor_kind": actor.kind,
        "actor_ref": _check("actor_ref", actor.ref),
        "action": _check("action", action),
        "target_type": _check("target_type", target_type),
        "target_ref": _check("target_ref", target_ref, required=False),
        "reason": _check("reason", reason, required=False),
    }
    if not _ACTION.fullmatch(action):
        raise ValueError(f"audit action {action!r} should look like 'erase' or 'read_export'.")
    if not _TARGET_TYPE.fullmatch(target_type):
        raise ValueError(f"audit target_type {target_type!r} should look like 'vault.person'.")
    # The database keeps microseconds in UTC; hash exactly what will be read back.
    at = clock.now().astimezone(dt.UTC)
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-position").only("position", "hash").first()
        if last is not None:
            position, prev_hash = last.position + 1, last.hash
        else:
            checkpoint = _newest_checkpoint()
            if checkpoint is not None:
                position, prev_hash = checkpoint.position + 1, checkpoint.hash
            else:
                position, prev_hash = 1, GENESIS_HASH
        entry = AuditEntry(position=position, at=at, prev_hash=prev_hash, **fields)
        entry.hash = _hash_of(entry)
        entry.save()
    return entry


def _walk(progress: Callable[[int], None] | None, until: int | None = None) -> VerifyResult:
    """Check the chain from the newest checkpoint, up to position ``until`` if given."""
    checkpoint = _newest_checkpoint()
    if checkpoint is not None:
        expected, prev_hash = checkpoint.position + 1, checkpoint.hash
        previous = f"the checkpoint at position {checkpoint.position}"
    else:
        expected, prev_hash = 1, GENESIS_HASH
        previous = "the start of the log"
    start = checkpoint.position if checkpoint is not None else None
    checked = 0

    def broken(at: int, problem: str) -> VerifyResult:
        return VerifyResult(False, checked, at, problem, start)

    entries = AuditEntry.objects.order_by("position")
    if until is not None:
        entries = entries.filter(position__lte=until)
    for entry in entries.iterator(chunk_size=_BATCH):
        if entry.position < expected:
            return broken(
                entry.position,
                f"entry {entry.position} should not exist: the log was purged up to "
                f"position {expected - 1}, so it was inserted afterwards",
            )
        if entry.position > expected:
            missing = (
                f"entry {expected} is missing"
                if entry.position == expected + 1
                else f"entries {expected} to {entry.position - 1} are missing"
            )
            if checked:
                why = f"positions jump from {expected - 1} to {entry.position}"
            elif checkpoint is not None:
                why = f"the log resumes at entry {entry.position} after {previous}"
            else:
                why = f"the log starts at entry {entry.position} and no purge explains it"
            return broken(expected, f"{missing} ({why})")
        if entry.prev_hash != prev_hash:
            return broken(
                entry.position,
                f"entry {entry.position} does not follow {previous} (its previous hash "
                "differs): an entry was inserted or replaced",
            )
        if entry.hash != _hash_of(entry):
            return broken(
                entry.position,
                f"entry {entry.position} was edited (its hash does not match its content)",
            )
        checked += 1
        if progress is not None and checked % _BATCH == 0:
            progress(checked)
        expected, prev_hash = entry.position + 1, entry.hash
        previous = f"entry {entry.position}"
    if checked == 0 and checkpoint is None:
        return VerifyResult(True, 0)
    return VerifyResult(True, checked, None, "", start, expected - 1, prev_hash)


def verify(*, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the chain from the newest checkpoint (or the start) and report the first break.

    Entries are read in batches, so a long log is never loaded at once; ``progress`` is
    called with the number of entries checked so far after each batch.
    """
    result = _walk(progress)
    if not result.ok:
        # A purge that committed between reading the checkpoint and the entries looks like
        # a break at the start of the chain; look again once before reporting it.
        newest = _newest_checkpoint()
        if (newest.position if newest else None) != result.checkpoint_position:
            result = _walk(progress)
    return result


def _plan(instant: dt.datetime) -> PurgePlan:
    kept = AuditEntry.objects.filter(at__gte=instant).order_by("position")
    first_kept = kept.values_list("position", flat=True).first()
    older = AuditEntry.objects.all()
    if first_kept is not None:
        older = older.filter(position__lt=first_kept)
    count = older.count()
    last = older.order_by("-position").values_list("position", flat=True).first()
    return PurgePlan(count, last)


def purge_plan(instant: dt.datetime) -> PurgePlan:
    """What :func:`purge_before` would delete now, without deleting anything."""
    return _plan(_aware(instant))


def _aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("purge_before needs a timezone-aware instant.")
    return instant


def purge_for_retention(instant: dt.datetime, dry_run: bool) -> int:
    """The retention purge's way out of the log: entries older than ``instant`` go (or are
    counted, for a dry run), leaving a checkpoint."""
    return purge_plan(instant).count if dry_run else purge_before(instant)


def purge_before(instant: dt.datetime) -> int:
    """Delete the entries older than ``instant`` and keep a checkpoint; return how many.

    Only a prefix of the chain is removed: the purge stops at the first entry that is not
    older, even if later entries are (a job run with ``--now`` may have dated them). The
    removed entries are verified first; if they do not chain, nothing is deleted and
    :class:`AuditLogBroken` is raised, since purging would erase the evidence.
    """
    instant = _aware(instant)
    with transaction.atomic():
        _lock_chain()
        plan = _plan(instant)
        if plan.last_position is None:
            return 0
        result = _walk(None, until=plan.last_position)
        if not result.ok:
            raise AuditLogBroken(result)
        last = AuditEntry.objects.get(position=plan.last_position)
        AuditCheckpoint(
            position=last.position,
            hash=last.hash,
            at=last.at,
            purged_at=clock.now(),
            count=plan.count,
        ).save()
        deleted, _ = AuditEntry.objects.filter(position__lte=last.position).delete()
    return deleted
