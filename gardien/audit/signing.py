"""The audit log's HMAC: what signs entries, checkpoints and the head, under which key.

The keys (``GARDIEN_AUDIT_KEYS``, newest first) live in the secrets file or the environment,
never in the database, so someone who can only write to the database cannot produce a valid
signature. Each signed row carries the id of its key (an HMAC of a fixed label, never the
key), so a rotation keeps what earlier keys signed verifiable as long as they stay listed.

Each kind of row is signed with its own label, so a signature can never be moved from one
kind to another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

KEY_ID_LENGTH = 16
MIN_KEY_LENGTH = 32


class AuditKeyError(RuntimeError):
    """The audit keys are missing or malformed, or a row names a key that is not configured."""


def _settings_keys() -> tuple[str, ...]:
    from django.conf import settings

    keys = tuple(getattr(settings, "GARDIEN_AUDIT_KEYS", None) or ())
    if not keys:
        raise AuditKeyError(
            "GARDIEN_AUDIT_KEYS is empty: Gardien cannot sign its audit log without it. Run "
            "`gardien secrets init` (development) or set it from `gardien secrets generate`."
        )
    for position, key in enumerate(keys, start=1):
        if len(key) < MIN_KEY_LENGTH:
            raise AuditKeyError(
                f"GARDIEN_AUDIT_KEYS: key #{position} is shorter than {MIN_KEY_LENGTH} "
                "characters; generate one with `gardien secrets generate`."
            )
    return keys


@lru_cache(maxsize=16)
def key_id(key: str) -> str:
    """A short public name for ``key``: stored with what it signed, tells nothing of it."""
    digest = hmac.new(key.encode("utf-8"), b"gardien audit key id", hashlib.sha256)
    return digest.hexdigest()[:KEY_ID_LENGTH]


def key_ids() -> list[str]:
    """The configured keys' ids, newest first."""
    return [key_id(key) for key in _settings_keys()]


def newest_key_id() -> str:
    return key_id(_settings_keys()[0])


def _key(kid: str) -> bytes:
    for key in _settings_keys():
        if key_id(key) == kid:
            return key.encode("utf-8")
    raise AuditKeyError(
        f"the audit key {kid!r} is not in GARDIEN_AUDIT_KEYS; put the earlier key back after "
        "the newest one (keys stay listed while what they signed is kept)."
    )


def instant(value: dt.datetime | None) -> str | None:
    """The canonical form of a date: UTC, microseconds, as the database keeps it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("An audit date must be timezone-aware.")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def sign(kind: str, kid: str, content: dict[str, Any]) -> str:
    """HMAC-SHA256 under key ``kid`` of the ``kind`` label and a sorted-key JSON of
    ``content`` plus the key id, so no field can spill over into another."""
    canonical = json.dumps(
        {**content, "key": kid}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    message = f"gardien audit {kind}\n{canonical}".encode("ascii")
    return hmac.new(_key(kid), message, hashlib.sha256).hexdigest()


def matches(kind: str, kid: str, content: dict[str, Any], signature: str) -> bool:
    """Whether ``signature`` is the one :func:`sign` gives, compared in constant time."""
    return hmac.compare_digest(sign(kind, kid, content), signature)


def entry_content(entry: Any) -> dict[str, Any]:
    """What an entry's signature covers: every column but its id, key and signature."""
    return {
        "position": entry.position,
        "at": instant(entry.at),
        "actor_kind": entry.actor_kind,
        "actor_ref": entry.actor_ref,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_ref": entry.target_ref,
        "reason": entry.reason,
        "prev_hash": entry.prev_hash,
    }


def checkpoint_content(checkpoint: Any) -> dict[str, Any]:
    return {
        "position": checkpoint.position,
        "hash": checkpoint.hash,
        "at": instant(checkpoint.at),
        "purged_at": instant(checkpoint.purged_at),
        "business_now": instant(checkpoint.business_now),
        "count": checkpoint.count,
    }


def head_content(head: Any) -> dict[str, Any]:
    return {"install": head.install, "position": head.position, "hash": head.hash}
