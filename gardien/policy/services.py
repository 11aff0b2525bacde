"""The published policy: the one place every public page, the banner and the exports read
the manifest from (the allowed origins are site settings, apart from it: gardien/site).

    from gardien.policy import services

    current = services.published()   # Published | None: the latest version and its manifest
    old = services.version(3)        # a stored version, exactly as it was published
    services.draft()                 # the manifest file on disk: only ever a draft
    services.draft_changes("fr")     # what `gardien policy publish` would change
    services.publish(path, note)     # record a new version when the draft says something new

One cache, one invalidation. Which version is the latest is asked of the database at most
every :data:`LATEST_CHECK_SECONDS` per process, so a publication reaches every web process a
few seconds after ``gardien policy publish`` without a query per request; a publication in
this process clears the cache at once. A stored version never changes, so its manifest is
parsed once and kept. It is read back without today's consistency rules
(``validate_data(..., stored=True)``): a stricter rule in a later release of Gardien must not
break the pages of versions published before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from gardien.lib import clock
from gardien.manifest import Manifest, ManifestError, content_hash, load_path, validate_data
from gardien.policy.models import PolicyVersion

LATEST_CHECK_SECONDS = 5.0
# A caller that knows of a newer version than this process does asks again, at most this often.
RECHECK_SECONDS = 0.5


@dataclass(frozen=True)
class Published:
    """A published version and its manifest."""

    number: int
    content_hash: str
    published_at: Any  # datetime
    note: str
    manifest: Manifest
    row: PolicyVersion = field(compare=False, repr=False)

    @cached_property
    def said_hash(self) -> str:
        """The hash of what this version says, as today's schema reads it: a version
        published before ``[site] origins`` left the policy hashed them with it."""
        return content_hash(self.manifest)


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []
        self.clear()

    def clear(self) -> None:
        self.latest: tuple[int, str] | None = None
        self.checked_at = float("-inf")
        self.versions: dict[int, Published] = {}


_cache = _Cache()
_draft_lock = threading.Lock()
_drafts: dict[str, tuple[tuple[float, int], Manifest]] = {}


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever what is published may have changed (to drop derived caches)."""
    _cache.listeners.append(listener)


def invalidate(**_signal_kwargs: Any) -> None:
    """Forget what is cached: a version was published, or the database changed."""
    with _cache.lock:
        _cache.clear()
    for listener in _cache.listeners:
        listener()


def latest_number(max_age: float | None = None) -> int | None:
    """The latest published version's number, re-read when older than ``max_age`` seconds."""
    now = time.monotonic()
    if now - _cache.checked_at < (LATEST_CHECK_SECONDS if max_age is None else max_age):
        return _cache.latest[0] if _cache.latest else None
    row = PolicyVersion.objects.order_by("-number").values_list("number", "content_hash").first()
    changed = False
    with _cache.lock:
        if row != _cache.latest:
            # A new publication, or another database altogether (tests): start afresh.
            _cache.clear()
            _cache.latest = row
            changed = True
        _cache.checked_at = now
    if changed:
        for listener in _cache.listeners:
            listener()
    return row[0] if row else None


def version(number: int, *, recheck: bool = False) -> Published | None:
    """Published version ``number``, or None if there is none.

    With ``recheck``, a number newer than the latest this process knows of makes it look
    again (a visitor's banner may have read it from a process that heard of it first).
    """
    found = _cache.versions.get(number)
    if found is not None:
        return found
    latest = latest_number()
    if recheck and (latest is None or number > latest):
        latest = latest_number(max_age=RECHECK_SECONDS)
    if latest is None or not 1 <= number <= latest:
        return None
    row = PolicyVersion.objects.filter(number=number).first()
    if row is None:
        return None
    published = Published(
        number=row.number,
        content_hash=row.content_hash,
        published_at=row.published_at,
        note=row.note,
        manifest=stored_manifest(row),
        row=row,
    )
    with _cache.lock:
        _cache.versions[number] = published
    return published


def published() -> Published | None:
    """The latest published version; None before the first publication."""
    latest = latest_number()
    return version(latest) if latest is not None else None


def published_manifest() -> Manifest | None:
    current = published()
    return current.manifest if current is not None else None


def organisation_name() -> str:
    """The controller's name as published, for page headers ("Gardien" before publication)."""
    manifest = published_manifest()
    return manifest.controller.name if manifest is not None else "Gardien"


def history() -> list[PolicyVersion]:
    return list(
        PolicyVersion.objects.order_by("-number").only("number", "published_at", "note", "note_en")
    )


def stored_manifest(row: PolicyVersion) -> Manifest:
    """A stored version's manifest, read back as it was published (see the module docstring)."""
    return validate_data(row.manifest, filename=f"policy version {row.number}", stored=True)


# --------------------------------------------------------------------------- the draft


def draft(path: Path | str | None = None) -> Manifest:
    """The manifest file on disk (``GARDIEN_MANIFEST``), re-read when the file changes.

    It is a draft: nothing public reads it until ``gardien policy publish``.
    Raises :class:`ManifestError` when the file has problems.
    """
    file = Path(path or settings.GARDIEN_MANIFEST)
    stat = file.stat()
    key = (stat.st_mtime, stat.st_size)
    with _draft_lock:
        cached = _drafts.get(str(file))
        if cached and cached[0] == key:
            return cached[1]
    manifest = load_path(file)
    with _draft_lock:
        _drafts[str(file)] = (key, manifest)
    return manifest


@dataclass
class DraftChanges:
    """What publishing the draft would change, for the back office and ``publish --dry-run``."""

    published: Published | None
    problems: list[str]  # the draft's problems: nothing can be published while there are any
    differs: bool  # the draft says something the published version does not
    sections: list[str]  # the manifest's top-level sections that differ
    lines: list[tuple[str, str]]  # (kind, text) of the policy text: "added" or "removed"
    draft_hash: str | None = None  # what was compared: publish(..., expected_hash=) checks it

    @property
    def text_changes(self) -> bool:
        return bool(self.lines)


def draft_changes(lang: str, path: Path | str | None = None) -> DraftChanges:
    """Compare the draft with the published version, section by section and line by line."""
    from gardien.policy import document

    current = published()
    try:
        manifest = draft(path)
    except ManifestError as exc:
        return DraftChanges(current, exc.lines(), False, [], [])
    except OSError as exc:
        return DraftChanges(current, [f"{path or settings.GARDIEN_MANIFEST}: {exc}"], False, [], [])
    digest = content_hash(manifest)
    if current is not None and current.said_hash == digest:
        return DraftChanges(current, [], False, [], [], digest)
    new = manifest.model_dump(mode="json")
    old = current.manifest.model_dump(mode="json") if current is not None else {}
    sections = [key for key in new if new.get(key) != old.get(key)]
    new_lines = document.text_lines(document.build(manifest, lang))
    old_lines = document.text_lines(document.build(current.manifest, lang)) if current else []
    return DraftChanges(current, [], True, sections, _line_changes(old_lines, new_lines), digest)


def _said_hash(row: PolicyVersion) -> str:
    """See :attr:`Published.said_hash`."""
    return content_hash(stored_manifest(row))


def _line_changes(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    import difflib

    changes: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes += [("removed", line) for line in old[i1:i2]]
        changes += [("added", line) for line in new[j1:j2]]
    return changes


# --------------------------------------------------------------------------- publishing


class PublishRefused(RuntimeError):
    """A publication that cannot go out; the message is a sentence in the active language."""


class DraftChanged(PublishRefused):
    """The manifest changed after the person read what would be published."""


def publish(
    path: Path | str | None = None, note: str = "", *, expected_hash: str | None = None
) -> PolicyVersion | None:
    """Record a new version when the manifest says something new; None when unchanged.

    ``expected_hash``: the draft the person read and confirmed (``DraftChanges.draft_hash``);
    a file changed since is refused (:class:`DraftChanged`), never published unseen."""
    from django.utils.translation import gettext as _

    from gardien.lib import when

    file = Path(path or settings.GARDIEN_MANIFEST)
    manifest = load_path(file)
    digest = content_hash(manifest)
    if expected_hash is not None and digest != expected_hash:
        raise DraftChanged(
            _(
                "The manifest changed after the changes were shown: nothing was published. "
                "Look at the new changes, then publish again."
            )
        )
    source = file.read_text(encoding="utf-8")
    with transaction.atomic():
        latest = PolicyVersion.objects.order_by("-number").first()
        if latest is not None and digest in (latest.content_hash, _said_hash(latest)):
            return None
        if latest is not None and clock.now() < latest.published_at:
            raise PublishRefused(
                _("A version cannot be dated before version %(number)s (%(date)s).")
                % {"number": latest.number, "date": when.day(latest.published_at)}
            )
        try:
            with transaction.atomic():
                created = PolicyVersion.objects.create(
                    number=(latest.number + 1) if latest else 1,
                    content_hash=digest,
                    published_at=clock.now(),
                    note=note.strip(),
                    manifest=manifest.model_dump(mode="json"),
                    source=source,
                )
        except IntegrityError:
            raise PublishRefused(
                _("Another publication happened at the same moment; publish again.")
            ) from None
    invalidate()
    return created
