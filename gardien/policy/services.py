"""Publishing the manifest as policy versions, and reading them back."""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from gardien.lib import clock
from gardien.manifest import Manifest, content_hash, load_path, validate_data
from gardien.policy.models import PolicyVersion

_lock = threading.Lock()
_file_cache: dict[str, tuple[tuple[float, int], Manifest]] = {}
_version_cache: dict[tuple[int, str], Manifest] = {}


def current_manifest(path: Path | str | None = None) -> Manifest:
    """The manifest on disk (``GARDIEN_MANIFEST``), re-read when the file changes."""
    file = Path(path or settings.GARDIEN_MANIFEST)
    stat = file.stat()
    key = (stat.st_mtime, stat.st_size)
    with _lock:
        cached = _file_cache.get(str(file))
        if cached and cached[0] == key:
            return cached[1]
    manifest = load_path(file)
    with _lock:
        _file_cache[str(file)] = (key, manifest)
    return manifest


def manifest_of(version: PolicyVersion) -> Manifest:
    key = (version.pk, version.content_hash)
    with _lock:
        if key in _version_cache:
            return _version_cache[key]
    manifest = validate_data(version.manifest, filename=f"policy version {version.number}")
    with _lock:
        _version_cache[key] = manifest
    return manifest


def latest_version() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def publish(path: Path | str | None = None, note: str = "") -> PolicyVersion | None:
    """Record a new version when the manifest says something new; None when unchanged."""
    file = Path(path or settings.GARDIEN_MANIFEST)
    manifest = load_path(file)
    digest = content_hash(manifest)
    source = file.read_text(encoding="utf-8")
    with transaction.atomic():
        latest = latest_version()
        if latest is not None and latest.content_hash == digest:
            return None
        if latest is not None and clock.now() < latest.published_at:
            raise RuntimeError(
                f"a version cannot be dated before version {latest.number} "
                f"({latest.published_at:%Y-%m-%d}); check --now"
            )
        try:
            with transaction.atomic():
                return PolicyVersion.objects.create(
                    number=(latest.number + 1) if latest else 1,
                    content_hash=digest,
                    published_at=clock.now(),
                    note=note.strip(),
                    manifest=manifest.model_dump(mode="json"),
                    source=source,
                )
        except IntegrityError:
            raise RuntimeError(
                "another publication happened at the same moment; run the command again"
            ) from None
