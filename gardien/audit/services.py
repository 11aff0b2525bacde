"""The audit log's public functions; other apps call only these.

    from gardien.audit.services import Actor, record, verify, purge_before

Each entry is signed with an HMAC (:mod:`gardien.audit.signing`) over its content and the
previous entry's signature, under a key kept outside the database. Editing, removing or
inserting an entry breaks the chain at a position :func:`verify` names; so does a forged
checkpoint, a log cut at its end (the signed head says how far it went) or emptied. Only
someone holding the key as well as the database can rewrite the log consistently
(docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from gardien.audit import guard, signing
from gardien.audit.models import (
    ACTION_LENGTH,
    GENESIS_HASH,
    REASON_LENGTH,
    REF_LENGTH,
    ActorKind,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
)
from gardien.lib import clock

__all__ = [
    "Actor",
    "AuditLogBroken",
    "PurgePlan",
    "VerifyResult",
    "purge_before",
    "purge_for_retention",
    "purge_plan",
    "record",
    "verify",
]

# pg_advisory_xact_lock key serialising writers of the chain ("gardaudt" as a bigint).
_POSTGRES_LOCK = int.from_bytes(b"gardaudt", "big")
_BATCH = 2000
# The action of the entry each purge of the audit log writes about itself.
PURGE_ACTION = "audit_purge"

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


class AuditHeadMissing(RuntimeError):
    """The head row, which every installed log has, was deleted outside Gardien."""

    def __init__(self) -> None:
        super().__init__(
            "The audit log's head (its highest position) is missing: it was deleted outside "
            "Gardien. Nothing can be recorded until this is investigated; run "
            "`gardien audit verify`."
        )


def _wall_clock() -> dt.datetime:
    """The real time, even inside :func:`clock.frozen`: when a purge really happened."""
    return dt.datetime.now(dt.UTC)


def _signed_entry(entry: AuditEntry) -> str:
    return signing.sign("entry", entry.key_id, signing.entry_content(entry))


def _signed_checkpoint(checkpoint: AuditCheckpoint) -> str:
    return signing.sign("checkpoint", checkpoint.key_id, signing.checkpoint_content(checkpoint))


def _signed_head(head: AuditHead) -> str:
    return signing.sign("head", head.key_id, signing.head_content(head))


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


def lock_chain() -> None:
    """Take the chain's lock for the rest of the transaction, before another lock that a
    writer of the chain may hold while it records (the consent seals take it first)."""
    _lock_chain()


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
    return _append(fields, clock.now())


def _append(fields: dict[str, str], at: dt.datetime) -> AuditEntry:
    """Sign and insert one entry after the head, and move the head onto it."""
    # The database keeps microseconds in UTC; sign exactly what will be read back.
    at = at.astimezone(dt.UTC)
    kid = signing.newest_key_id()
    with transaction.atomic():
        _lock_chain()
        head = AuditHead.objects.filter(pk=1).first()
        if head is None:
            raise AuditHeadMissing()
        if head.key_id and head.key_id != kid and head.key_id not in signing.key_ids():
            # Another process signs with a key this one does not have (a rotation under way,
            # this process not restarted yet): an entry signed here with an older key would
            # read as forged. Refused, and the whole write rolls back.
            raise signing.AuditKeyError(
                "the audit log's last entry is signed with an audit key this process does not "
                "have: restart it with the same GARDIEN_AUDIT_KEYS as the others (docs/keys.md)"
            )
        entry = AuditEntry(
            position=head.position + 1, at=at, prev_hash=head.hash, key_id=kid, **fields
        )
        entry.hash = _signed_entry(entry)
        entry.save()
        head.position, head.hash, head.key_id = entry.position, entry.hash, kid
        head.mac = _signed_head(head)
        head.save(update_fields=["position", "hash", "key_id", "mac"])
    return entry


def _signature_problem(kind: str, what: str, kid: str, ranks: dict[str, int]) -> str | None:
    """Why a row's key cannot be trusted, or None: it must be one of the configured keys."""
    if kid not in ranks:
        return (
            f"{what} is signed with the audit key {kid or '(none)'!r}, which is not in "
            "GARDIEN_AUDIT_KEYS: either it was forged, or an earlier key was removed too soon "
            "(put it back after the newest one)"
        )
    return None


def _checkpoints_problem(
    checkpoints: list[AuditCheckpoint], ranks: dict[str, int]
) -> tuple[int, str] | None:
    """The first checkpoint that is forged, edited or out of line with the one before it."""
    previous = 0
    for checkpoint in checkpoints:
        what = f"the checkpoint at position {checkpoint.position}"
        problem = _signature_problem("checkpoint", what, checkpoint.key_id, ranks)
        if problem is None and not signing.matches(
            "checkpoint", checkpoint.key_id, signing.checkpoint_content(checkpoint), checkpoint.mac
        ):
            problem = (
                f"{what} does not match its signature: it was forged or edited, perhaps to "
                "hide entries deleted before it"
            )
        if problem is None and checkpoint.count != checkpoint.position - previous:
            problem = (
                f"{what} says {checkpoint.count} entries were purged, but the purge before it "
                f"stopped at position {previous}: a checkpoint was removed"
            )
        if problem is not None:
            return checkpoint.position, problem
        previous = checkpoint.position
    return None


def _walk(progress: Callable[[int], None] | None, until: int | None = None) -> VerifyResult:
    """Check the checkpoints, then the chain from the newest one, up to position ``until``
    if given; without ``until``, also that the chain reaches the signed head."""
    ranks = {kid: rank for rank, kid in enumerate(signing.key_ids())}
    # The head is read first and the walk stops at it, so entries recorded meanwhile are
    # left for the next verification instead of looking added behind Gardien's back.
    head = AuditHead.objects.filter(pk=1).first() if until is None else None
    if until is None and head is None:
        return VerifyResult(
            False,
            0,
            1,
            "the audit log's head (its highest position ever written) is missing: it was "
            "deleted outside Gardien",
        )
    limit = head.position if head is not None else until
    checkpoints = list(AuditCheckpoint.objects.order_by("position"))
    checkpoint = checkpoints[-1] if checkpoints else None
    start = checkpoint.position if checkpoint is not None else None
    checked = 0

    def broken(at: int, problem: str) -> VerifyResult:
        return VerifyResult(False, checked, at, problem, start)

    bad_checkpoint = _checkpoints_problem(checkpoints, ranks)
    if bad_checkpoint is not None:
        return broken(*bad_checkpoint)
    if checkpoint is not None:
        expected, prev_hash = checkpoint.position + 1, checkpoint.hash
        previous = f"the checkpoint at position {checkpoint.position}"
    else:
        expected, prev_hash = 1, GENESIS_HASH
        previous = "the start of the log"
    # Keys are listed newest first: along the chain, a key may only give way to a newer one,
    # so an earlier key, once replaced, cannot sign anything after the newer one's entries.
    rank = len(ranks)

    entries = AuditEntry.objects.order_by("position").filter(position__lte=limit)
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
        key_problem = _signature_problem("entry", f"entry {entry.position}", entry.key_id, ranks)
        if key_problem is not None:
            return broken(entry.position, key_problem)
        if ranks[entry.key_id] > rank:
            return broken(
                entry.position,
                f"entry {entry.position} is signed with an earlier audit key than {previous}: "
                "it was forged with a key that had been replaced",
            )
        if entry.prev_hash != prev_hash:
            return broken(
                entry.position,
                f"entry {entry.position} does not follow {previous} (its previous hash "
                "differs): an entry was inserted or replaced",
            )
        if not signing.matches("entry", entry.key_id, signing.entry_content(entry), entry.hash):
            return broken(
                entry.position,
                f"entry {entry.position} was edited or forged (its signature does not match its "
                "content)",
            )
        checked += 1
        if progress is not None and checked % _BATCH == 0:
            progress(checked)
        expected, prev_hash, rank = entry.position + 1, entry.hash, ranks[entry.key_id]
        previous = f"entry {entry.position}"
    if head is not None:
        head_problem = _head_problem(head, expected - 1, prev_hash, ranks, rank)
        if head_problem is not None:
            return broken(*head_problem)
    if checked == 0 and checkpoint is None:
        return VerifyResult(True, 0)
    return VerifyResult(True, checked, None, "", start, expected - 1, prev_hash)


def _head_problem(
    head: AuditHead, last: int, last_hash: str, ranks: dict[str, int], rank: int
) -> tuple[int, str] | None:
    """Whether the chain, ending at ``last`` signed with the key of rank ``rank``, reaches
    the signed high-water mark."""
    problem = _signature_problem("head", "the audit log's head", head.key_id, ranks)
    if problem is None and not signing.matches(
        "head", head.key_id, signing.head_content(head), head.mac
    ):
        problem = "the audit log's head does not match its signature: it was forged or edited"
    if problem is None and ranks[head.key_id] > rank:
        problem = (
            "the audit log's head is signed with an earlier audit key than its last entry: it "
            "was forged with a key that had been replaced"
        )
    if problem is not None:
        return head.position, problem
    if head.position > last:
        missing = (
            f"entry {head.position} is missing"
            if head.position == last + 1
            else f"entries {last + 1} to {head.position} are missing"
        )
        if last == 0:
            return 1, f"the audit log is empty but {head.position} entries were written to it"
        return last + 1, f"{missing} (the log was cut after position {last})"
    if AuditEntry.objects.filter(position__gt=head.position).exists():
        now = AuditHead.objects.filter(pk=1).values_list("position", flat=True).first()
        if now == head.position:
            return head.position + 1, (
                f"entries after position {head.position} were added outside Gardien (the "
                "log's head was not moved)"
            )
    if head.hash != last_hash:
        return last, (
            f"entry {last} is not the one the log's head recorded: the end of the log was replaced"
        )
    if dropped := guard.missing_triggers(connection):
        return last, (
            "the database triggers that keep the audit log append-only were removed "
            f"({', '.join(dropped)}), by someone with direct access to the database: the log "
            "is unguarded; find out who, and see docs/audit.md"
        )
    if guard.purge_path_left_open(connection):
        return last, (
            "the purge's way through the database triggers was left open: the audit log is "
            "unguarded until `gardien audit purge` runs again or it is closed"
        )
    return None


def verify(*, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the checkpoints and the chain from the newest one (or the start), check that it
    reaches the signed head, and report the first break.

    Entries are read in batches, so a long log is never loaded at once; ``progress`` is
    called with the number of entries checked so far after each batch.
    """
    result = _walk(progress)
    if not result.ok:
        # A purge or an entry committed between the reads looks like a break; look again
        # once before reporting it.
        result = _walk(progress)
    return result


def _plan(instant: dt.datetime) -> PurgePlan:
    """The prefix older than ``instant``, stopping at the latest purge's own entry: the log
    always says when it was last purged, even when a purge run with a later ``--now`` sees
    that entry, dated with the real time, as old."""
    kept = AuditEntry.objects.filter(at__gte=instant).order_by("position")
    first_kept = kept.values_list("position", flat=True).first()
    last_purge = (
        AuditEntry.objects.filter(action=PURGE_ACTION)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    if last_purge is not None:
        first_kept = last_purge if first_kept is None else min(first_kept, last_purge)
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
    counted, for a dry run), leaving a checkpoint and an entry saying so."""
    if dry_run:
        return purge_plan(instant).count
    return purge_before(instant, actor=Actor(ActorKind.SYSTEM.value, "retention"))


def purge_before(instant: dt.datetime, *, actor: Actor | None = None) -> int:
    """Delete the entries older than ``instant`` and keep a checkpoint; return how many.

    Only a prefix of the chain is removed: the purge stops at the first entry that is not
    older, even if later entries are (a job run with ``--now`` may have dated them). The
    removed entries are verified first; if they do not chain, nothing is deleted and
    :class:`AuditLogBroken` is raised, since purging would erase the evidence.

    The purge then records itself: ``actor``, up to which position, how many, dated with the
    real time; the date it acted as of (``clock.now()``, a job's ``--now``) is written apart,
    in the checkpoint and the entry's reason.
    """
    instant = _aware(instant)
    actor = actor or Actor.system()
    business_now = clock.now()
    kid = signing.newest_key_id()
    with transaction.atomic():
        _lock_chain()
        plan = _plan(instant)
        if plan.last_position is None:
            return 0
        result = _walk(None, until=plan.last_position)
        if not result.ok:
            raise AuditLogBroken(result)
        last = AuditEntry.objects.get(position=plan.last_position)
        purged_at = _wall_clock()
        checkpoint = AuditCheckpoint(
            position=last.position,
            hash=last.hash,
            at=last.at,
            purged_at=purged_at,
            business_now=business_now,
            count=plan.count,
            key_id=kid,
        )
        checkpoint.mac = _signed_checkpoint(checkpoint)
        checkpoint.save()
        guard.set_purge_path(connection, is_open=True)
        deleted, _ = AuditEntry.objects.filter(position__lte=last.position).delete()
        guard.set_purge_path(connection, is_open=False)
        _append(
            {
                "actor_kind": actor.kind,
                "actor_ref": _check("actor_ref", actor.ref),
                "action": PURGE_ACTION,
                "target_type": "audit.entry",
                "target_ref": str(last.position),
                "reason": (
                    f"{deleted} entries older than {_day(instant)} purged up to position "
                    f"{last.position}, as of {_day(business_now)}"
                ),
            },
            purged_at,
        )
    return deleted


def _day(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat(timespec="seconds")
