"""Seals over the consent ledger: a proof, once sealed, cannot be changed or removed quietly.

    from gardien.consent import seal

    seal.seal_pending()          # the worker's job: fold the proofs since the last seal
    seal.verify()                # every seal recomputed from the ledger; what broke, where
    seal.prove(consent_id)       # each proof of an id, with its Merkle path to a sealed root
    seal.record_removal(rows, cause=...)  # in the transaction that deletes proofs on purpose

**What a seal is.** The ledger is append-only, so the proofs between two row ids form a set
that never changes. Every :data:`SEAL_EVERY` the worker folds the proofs written since the
last seal (in row id order, at most :data:`MAX_PROOFS` a seal) into a Merkle tree: each
leaf is the SHA-256 of one proof's row id and ledger columns (``LEDGER_COLUMNS``) as
sorted-key JSON, each node the SHA-256 of its two children, an odd node carried up as it
is; leaves and nodes are prefixed with a different byte, so neither passes for the other.
The root, the range and the count go into a :class:`ConsentSeal` and into the audit log, so
rewriting a proof means rewriting the audit log too.

**Why every 15 minutes and no daily seal over hourly ones:** the audit log already chains
every seal to the previous one; what matters is how long a new proof stays unsealed, and a
short interval keeps each seal's reading small. ``gardien consent seal`` seals at once.

**Nothing on the consent API's path.** Sealing runs in the worker and reads the ledger by
row id, outside any transaction (SQLite's one write lock is held only to write the seal).
On PostgreSQL a proof's row id is drawn before it commits, so the seal first takes the
table's SHARE lock for one ``SELECT max(id)``: it waits for the inserts under way
(milliseconds) and holds new ones back that long, so no proof with a lower id can commit
after the seal has read past it. SQLite has one writer at a time: a committed id means
every lower one is committed or gone.

**Removals on purpose.** The retention purge and an erasure request call
:func:`record_removal` in the transaction that deletes: the seal keeps which positions
went, when and why, with an audit entry, so :func:`verify` tells them from a deletion. A
seal whose proofs have all gone goes with them at the next purge (its audit entries stay).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction

from gardien.audit import signing
from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor, lock_chain, record
from gardien.consent.models import (
    LEDGER_COLUMNS,
    ConsentRecord,
    ConsentSeal,
    ConsentSealRemoval,
)
from gardien.lib import clock

#: How often the worker seals the proofs written since the last seal.
SEAL_EVERY = dt.timedelta(minutes=15)
#: The most proofs one seal holds (its leaves are 40 bytes a proof); more make more seals.
MAX_PROOFS = 50_000
SEAL_ACTION = "consent_seal"
REMOVAL_ACTION = "consent_seal_removal"
SEAL_TARGET = ConsentSeal._meta.label_lower
REMOVAL_TARGET = ConsentSealRemoval._meta.label_lower

# pg_advisory_xact_lock key serialising the sealers and the removals ("gardseal").
_POSTGRES_LOCK = int.from_bytes(b"gardseal", "big")
_LEAF, _NODE = b"\x00", b"\x01"
_ROOT_IN_REASON = re.compile(r"root ([0-9a-f]{64})")
_DIGEST_IN_REASON = re.compile(r"positions ([0-9a-f]{16})")


# --- the tree ---------------------------------------------------------------------------


def canonical(pk: int, row: dict[str, Any]) -> bytes:
    """One proof as the seal hashes it: its row id and ledger columns, sorted-key JSON."""
    values: dict[str, Any] = {"pk": pk}
    for name in LEDGER_COLUMNS:
        value = row[name]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat(timespec="microseconds")
        values[name] = value
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def leaf_hash(pk: int, row: dict[str, Any]) -> bytes:
    return hashlib.sha256(_LEAF + canonical(pk, row)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [_node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])  # an odd node is carried up as it is
        levels.append(above)
    return levels


def merkle_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        raise ValueError("a seal holds at least one proof")
    return _levels(leaves)[-1][0]


def merkle_path(leaves: list[bytes], index: int) -> list[tuple[str, bytes]]:
    """The siblings from leaf ``index`` up to the root: ("left"|"right", hash) each."""
    path = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(("left" if sibling < index else "right", level[sibling]))
        index //= 2
    return path


def root_from_path(leaf: bytes, path: Iterable[tuple[str, bytes]]) -> bytes:
    """What anyone can recompute with SHA-256 alone: the root a leaf and its path give."""
    node = leaf
    for side, sibling in path:
        node = _node(sibling, node) if side == "left" else _node(node, sibling)
    return node


def _pks_of(seal: ConsentSeal) -> list[int]:
    raw = bytes(seal.pks)
    return [int.from_bytes(raw[i : i + 8], "big") for i in range(0, len(raw), 8)]


def _leaves_of(seal: ConsentSeal) -> list[bytes]:
    raw = bytes(seal.leaves)
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def _rows(first: int, last: int) -> Iterator[tuple[int, dict[str, Any]]]:
    query = (
        ConsentRecord.objects.filter(pk__gte=first, pk__lte=last)
        .order_by("pk")
        .values("pk", *LEDGER_COLUMNS)
    )
    for row in query.iterator(chunk_size=2000):
        yield row["pk"], row


# --- signatures -------------------------------------------------------------------------


def _seal_content(seal: ConsentSeal) -> dict[str, Any]:
    """What a seal's signature covers: its id, range, link, count, root and date (the
    leaves are covered by the root, and each leaf by its proof's row id)."""
    return {
        "id": seal.pk,
        "first_pk": seal.first_pk,
        "last_pk": seal.last_pk,
        "after_pk": seal.after_pk,
        "count": seal.count,
        "root": seal.root,
        "sealed_at": signing.instant(seal.sealed_at),
    }


def _removal_content(removal: ConsentSealRemoval) -> dict[str, Any]:
    return {
        "id": removal.pk,
        "seal": removal.seal_id,
        "removed_at": signing.instant(removal.removed_at),
        "cause": removal.cause,
        "count": removal.count,
        "positions": removal.positions,
    }


def _sign_seal(seal: ConsentSeal) -> None:
    seal.key_id = signing.newest_key_id()
    seal.signature = signing.sign("consent seal", seal.key_id, _seal_content(seal))
    seal.save(update_fields=["key_id", "signature"])


def _signature_problem(kind: str, kid: str, content: dict[str, Any], signature: str) -> str | None:
    """Why a signed row cannot be trusted, or None."""
    if kid not in signing.key_ids():
        return (
            f"it is signed with the audit key {kid or '(none)'!r}, which is not in "
            "GARDIEN_AUDIT_KEYS (forged, or an earlier key removed too soon)"
        )
    if not signing.matches(kind, kid, content, signature):
        return "its signature does not match; it was altered or forged"
    return None


# --- sealing ----------------------------------------------------------------------------


def _lock() -> None:
    """Serialise sealers and removals until the end of the transaction (SQLite: IMMEDIATE).

    The audit chain's lock first, then the seals': an erasure holds the chain's lock when it
    records a removal, so taking them in the other order could deadlock (PostgreSQL)."""
    lock_chain()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_LOCK])


def _committed_up_to() -> int:
    """The highest row id below which no proof can still commit."""
    table = connection.ops.quote_name(ConsentRecord._meta.db_table)
    query = f"SELECT max(id) FROM {table}"  # noqa: S608 - the model's table
    if connection.vendor != "postgresql":  # one writer: no transaction, no write lock taken
        with connection.cursor() as cursor:
            cursor.execute(query)
            (high,) = cursor.fetchone()
        return int(high or 0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        cursor.execute(query)
        (high,) = cursor.fetchone()
    return int(high or 0)


def _last_sealed() -> int:
    return int(ConsentSeal.objects.aggregate(models.Max("last_pk"))["last_pk__max"] or 0)


def _seal_once(high: int) -> ConsentSeal | bool:
    """One seal of the proofs after the last one, up to ``high``: False when there is none,
    True when another sealer or a removal came between reading and writing (read again).

    The proofs are read and hashed outside the transaction: on SQLite a transaction holds
    the one write lock, which the consent API must not wait for while thousands of proofs
    are read. The writing transaction checks that nothing moved meanwhile."""
    last = _last_sealed()
    if last >= high:
        return False
    pks: list[int] = []
    leaves: list[bytes] = []
    for pk, row in _rows(last + 1, high):
        pks.append(pk)
        leaves.append(leaf_hash(pk, row))
        if len(pks) == MAX_PROOFS:
            break
    if not pks:
        return False
    root = merkle_root(leaves).hex()
    with transaction.atomic():
        _lock()
        present = ConsentRecord.objects.filter(pk__gte=pks[0], pk__lte=pks[-1]).count()
        if _last_sealed() != last or present != len(pks):
            return True
        sealed = ConsentSeal.objects.create(
            first_pk=pks[0],
            last_pk=pks[-1],
            after_pk=last,
            count=len(pks),
            root=root,
            sealed_at=clock.now(),
            pks=b"".join(pk.to_bytes(8, "big") for pk in pks),
            leaves=b"".join(leaves),
        )
        _sign_seal(sealed)
        record(
            actor=Actor.system(),
            action=SEAL_ACTION,
            target_type=SEAL_TARGET,
            target_ref=str(sealed.pk),
            reason=f"proofs {pks[0]}..{pks[-1]}, {len(pks)} proofs, root {root}",
        )
    return sealed


def seal_pending() -> list[ConsentSeal]:
    """Seal every proof committed since the last seal; nothing when there is none. Two runs
    at once seal each proof once: the second finds the first's seal and reads again."""
    high = _committed_up_to()
    made: list[ConsentSeal] = []
    retries = 0
    while (sealed := _seal_once(high)) is not False:
        if sealed is True:
            retries += 1
            if retries > 5:
                raise RuntimeError("the consent ledger kept changing under the seal; try later")
            continue
        made.append(sealed)
    return made


# --- removals on purpose ----------------------------------------------------------------


def _ranges(positions: list[int]) -> str:
    """[0, 1, 2, 5] -> "0-2,5"."""
    parts: list[str] = []
    start = prev = positions[0]
    for position in [*positions[1:], -2]:
        if position != prev + 1:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = position
        prev = position
    return ",".join(parts)


def _positions(text: str) -> set[int]:
    found: set[int] = set()
    for part in filter(None, text.split(",")):
        start, _dash, end = part.partition("-")
        found.update(range(int(start), int(end or start) + 1))
    return found


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


# The verification's lines are written in English, like the seal's problems: the cause in
# the same words, whatever the language of the process (its label in the back office is
# translated).
_CAUSES = {"purge": "retention purge", "erasure": "erasure request"}


def record_removal(rows: Any, *, cause: str) -> int:
    """Record, per seal, the sealed proofs among ``rows`` (a queryset of the ledger) that the
    caller is about to delete in the same transaction; returns how many were sealed."""
    _lock()
    pks = sorted(rows.order_by().values_list("pk", flat=True))
    if not pks:
        return 0
    sealed = 0
    now = clock.now()
    seals = ConsentSeal.objects.filter(first_pk__lte=pks[-1], last_pk__gte=pks[0])
    for seal in seals.order_by("first_pk"):
        index = {pk: i for i, pk in enumerate(_pks_of(seal))}
        positions = sorted(index[pk] for pk in pks if pk in index)
        if not positions:
            continue
        text = _ranges(positions)
        removal = ConsentSealRemoval.objects.create(
            seal=seal, removed_at=now, cause=cause, count=len(positions), positions=text
        )
        removal.key_id = signing.newest_key_id()
        removal.signature = signing.sign(
            "consent seal removal", removal.key_id, _removal_content(removal)
        )
        removal.save(update_fields=["key_id", "signature"])
        record(
            actor=Actor.system(),
            action=REMOVAL_ACTION,
            target_type=REMOVAL_TARGET,
            target_ref=str(removal.pk),
            reason=(
                f"{cause}: {len(positions)} of the {seal.count} proofs of seal {seal.pk} "
                f"({seal.first_pk}..{seal.last_pk}), positions {_digest(text)}, "
                f"root was {seal.root}"
            )[:200],
        )
        sealed += len(positions)
    return sealed


def on_retention_purge(sender: Any, queryset: Any, **kwargs: Any) -> None:
    """The retention engine's ``removing`` signal for the ledger: the purge seals its removal."""
    record_removal(queryset, cause=ConsentSealRemoval.Cause.PURGE)


def on_seals_dropped(sender: Any, queryset: Any, **kwargs: Any) -> None:
    """The retention engine's ``removing`` signal for the seals (emptied ones, never the
    newest): the seal after each dropped one takes over its link, re-signed, so the chain
    has no break where a seal went lawfully."""
    _lock()
    dropped = {s.last_pk: s.after_pk for s in queryset.order_by()}
    if not dropped:
        return
    for seal in ConsentSeal.objects.filter(after_pk__in=list(dropped)).exclude(
        last_pk__in=list(dropped)
    ):
        link = seal.after_pk
        while link in dropped:
            link = dropped[link]
        seal.after_pk = link
        seal.save(update_fields=["after_pk"])
        _sign_seal(seal)


# --- verifying --------------------------------------------------------------------------


@dataclass
class SealCheck:
    seal: ConsentSeal
    problems: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # removals on purpose, in words
    audited: bool = True  # False: its audit entry went with the audit log's retention


@dataclass
class Verification:
    seals: list[SealCheck]
    unsealed: tuple[int, int, int] | None  # count, first and last row id after the last seal
    outside: list[int]  # proofs inside the sealed ids but in no seal
    chain: list[str] = field(default_factory=list)  # seals deleted (see _check_chain)

    @property
    def intact(self) -> bool:
        return (
            not self.outside and not self.chain and not any(check.problems for check in self.seals)
        )


def _entry_holds(entry: AuditEntry) -> bool:
    """Whether an audit entry is the one Gardien signed (a reason rewritten fails)."""
    return entry.key_id in signing.key_ids() and signing.matches(
        "entry", entry.key_id, signing.entry_content(entry), entry.hash
    )


def _audit_reasons(target_type: str, refs: list[str] | None = None) -> dict[str, str]:
    """The reasons of the signed audit entries about ``refs`` (all of that type: None); an
    entry whose signature fails is left out (``audit verify`` names it)."""
    entries = AuditEntry.objects.filter(target_type=target_type)
    if refs is not None:
        entries = entries.filter(target_ref__in=refs)
    return {e.target_ref: e.reason for e in entries.order_by("position") if _entry_holds(e)}


def _check(seal: ConsentSeal, reasons: dict[str, str], removals: dict[str, str]) -> SealCheck:
    check = SealCheck(seal)
    pks, leaves = _pks_of(seal), _leaves_of(seal)
    name = f"seal {seal.pk} (proofs {seal.first_pk}..{seal.last_pk})"
    problem = _signature_problem("consent seal", seal.key_id, _seal_content(seal), seal.signature)
    if problem is not None:
        check.problems.append(f"{name}: {problem}")
        return check
    if len(pks) != seal.count or len(leaves) != seal.count or not leaves:
        check.problems.append(f"{name}: its leaves do not match its count; the seal was altered")
        return check
    if merkle_root(leaves).hex() != seal.root:
        check.problems.append(f"{name}: its leaves do not give its root; the seal was altered")
    reason = reasons.get(str(seal.pk))
    if reason is None:
        check.audited = False  # gone with the audit log's retention: the signature holds
    elif (found := _ROOT_IN_REASON.search(reason)) is None or found.group(1) != seal.root:
        check.problems.append(f"{name}: its root differs from the one in the audit log")
    gone: set[int] = set()
    for removal in seal.removals.all():
        positions = _positions(removal.positions)
        audited = removals.get(str(removal.pk))
        problem = _signature_problem(
            "consent seal removal", removal.key_id, _removal_content(removal), removal.signature
        )
        if problem is not None or removal.seal_id != seal.pk:
            check.problems.append(f"{name}: a removal of proofs: {problem or 'moved'}")
            continue
        if audited is not None and (
            (digest := _DIGEST_IN_REASON.search(audited)) is None
            or digest.group(1) != _digest(removal.positions)
        ):
            check.problems.append(f"{name}: a removal differs from its entry in the audit log")
            continue
        gone |= positions
        ids = sorted(pks[p] for p in positions if p < len(pks))
        check.removed.append(
            f"{removal.count} proof(s) ({_ranges(ids)}) removed by the "
            f"{_CAUSES.get(removal.cause, removal.cause)} on "
            f"{removal.removed_at:%Y-%m-%d %H:%M} UTC"
        )
    index = {pk: i for i, pk in enumerate(pks)}
    seen: set[int] = set()
    for pk, row in _rows(seal.first_pk, seal.last_pk):
        position = index.get(pk)
        if position is None:
            check.problems.append(f"{name}: proof {pk} was inserted after the seal")
        elif position in gone:
            check.problems.append(
                f"{name}: proof {pk} (position {position}) is back after its removal"
            )
        elif leaf_hash(pk, row) != leaves[position]:
            check.problems.append(f"{name}: proof {pk} (position {position}) was changed")
        seen.add(pk)
    for position, pk in enumerate(pks):
        if pk not in seen and position not in gone:
            check.problems.append(f"{name}: proof {pk} (position {position}) was deleted")
    return check


def verify() -> Verification:
    """Recompute every seal from the ledger and the audit log; read-only."""
    seals = list(ConsentSeal.objects.order_by("first_pk").prefetch_related("removals"))
    reasons = _audit_reasons(SEAL_TARGET, [str(s.pk) for s in seals])
    removal_refs = [str(r.pk) for s in seals for r in s.removals.all()]
    removals = _audit_reasons(REMOVAL_TARGET, removal_refs)
    checks = [_check(seal, reasons, removals) for seal in seals]
    last = seals[-1].last_pk if seals else 0
    after = ConsentRecord.objects.filter(pk__gt=last).aggregate(
        n=models.Count("pk"), first=models.Min("pk"), last=models.Max("pk")
    )
    unsealed = (after["n"], after["first"], after["last"]) if after["n"] else None
    return Verification(checks, unsealed, _outside(seals), _check_chain(seals))


_RANGE_IN_REASON = re.compile(r"proofs (\d+)\.\.(\d+), (\d+) proofs, root ([0-9a-f]{64})")


def _check_chain(seals: list[ConsentSeal]) -> list[str]:
    """What breaks the chain of seals: each links to the one before it (the first to none),
    and every seal the audit log still lists is there or was dropped lawfully.

    A seal is dropped only by the retention purge, once its proofs have all gone, never the
    newest, and the seal after it then takes over its link (signed): so a listed seal that is
    missing is lawful only inside the chain, with no other seal over its proofs."""
    problems: list[str] = []
    link = 0
    for seal in seals:
        if seal.after_pk != link:
            problems.append(
                f"seal {seal.pk} (proofs {seal.first_pk}..{seal.last_pk}): the seal before it "
                f"(ending at proof {seal.after_pk}) is missing; it was deleted"
            )
        link = seal.last_pk
    present = {str(s.pk) for s in seals}
    for ref, reason in _audit_reasons(SEAL_TARGET).items():
        found = _RANGE_IN_REASON.search(reason)
        if ref in present or found is None:
            continue
        first, last = int(found.group(1)), int(found.group(2))
        covered = any(s.first_pk <= last and s.last_pk >= first for s in seals)
        if last >= link or covered:
            problems.append(
                f"seal {ref} (proofs {first}..{last}) is in the audit log but no longer in the "
                "database; it was deleted" + (", and its proofs sealed again" if covered else "")
            )
    return problems


def _outside(seals: list[ConsentSeal]) -> list[int]:
    """Proofs whose row id lies before the last seal but in no seal: inserted afterwards.
    (Seals follow each other; a gap is ids PostgreSQL drew for nothing, or a seal dropped
    with its last proof.)"""
    found: list[int] = []
    below = 0
    for seal in seals:
        if seal.first_pk > below + 1:
            gap = ConsentRecord.objects.filter(pk__gt=below, pk__lt=seal.first_pk)
            found.extend(gap.order_by("pk").values_list("pk", flat=True)[: 100 - len(found)])
        below = max(below, seal.last_pk)
        if len(found) >= 100:
            break
    return found


@dataclass(frozen=True)
class SealedProof:
    """One proof of a consent id and how it was sealed (``seal`` None: not sealed yet)."""

    pk: int
    recorded_at: dt.datetime
    leaf: str
    seal: ConsentSeal | None = None
    position: int = 0
    path: tuple[tuple[str, str], ...] = ()
    audit_position: int | None = None
    holds: bool = False  # the path recomputes the seal's root and the proof is unchanged


def prove(consent_id: str) -> list[SealedProof]:
    """Each proof recorded under ``consent_id``, with its Merkle path to its seal's root."""
    rows = ConsentRecord.objects.filter(consent_id=consent_id).order_by("pk")
    found = []
    for row in rows.values("pk", *LEDGER_COLUMNS):
        pk = row["pk"]
        leaf = leaf_hash(pk, row)
        seal = ConsentSeal.objects.filter(first_pk__lte=pk, last_pk__gte=pk).first()
        if seal is None:
            found.append(SealedProof(pk, row["recorded_at"], leaf.hex()))
            continue
        pks, leaves = _pks_of(seal), _leaves_of(seal)
        position = pks.index(pk) if pk in pks else -1
        path = merkle_path(leaves, position) if position >= 0 else []
        entry = AuditEntry.objects.filter(target_type=SEAL_TARGET, target_ref=str(seal.pk)).first()
        # The seal's own signature vouches for it; its audit entry, while the audit log keeps
        # it, must be the signed one and name the same root.
        audited = (
            _signature_problem("consent seal", seal.key_id, _seal_content(seal), seal.signature)
            is None
        )
        if entry is not None:
            root = _ROOT_IN_REASON.search(entry.reason)
            audited = (
                audited and _entry_holds(entry) and root is not None and root.group(1) == seal.root
            )
        holds = (
            position >= 0
            and leaves[position] == leaf
            and root_from_path(leaf, path).hex() == seal.root
            and audited
        )
        found.append(
            SealedProof(
                pk,
                row["recorded_at"],
                leaf.hex(),
                seal,
                position,
                tuple((side, h.hex()) for side, h in path),
                entry.position if entry is not None else None,
                holds,
            )
        )
    return found
