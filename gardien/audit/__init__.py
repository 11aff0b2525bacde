"""Gardien's audit log: an append-only, hash-chained record of every change to personal data.

Other apps use only the functions of :mod:`gardien.audit.services`::

    from gardien.audit.services import Actor, record, verify, purge_before

They are also reachable as ``gardien.audit.record`` etc., imported on first use so that
loading this package never touches the models before Django is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gardien.audit.services import (
        Actor,
        AuditLogBroken,
        VerifyResult,
        purge_before,
        record,
        verify,
    )

__all__ = ["Actor", "AuditLogBroken", "VerifyResult", "purge_before", "record", "verify"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gardien.audit import services

        return getattr(services, name)
    raise AttributeError(f"module 'gardien.audit' has no attribute {name!r}")
