"""Migration 0002 signs a log written before the key, once its plain chain is checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gardien.audit.services import verify

BEFORE = [("audit", "0001_initial")]
AFTER = [("audit", "0002_signed_chain")]


def migrate(targets):  # type: ignore[no-untyped-def]
    """Migrate to ``targets``; AFTER means every app's latest migration, since going back to
    audit 0001 also unapplied what depends on audit 0002 (consent 0005): the database is left
    as the other tests expect it."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if targets == AFTER:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def legacy_log(apps, count: int, *, edit: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """Entries chained with plain SHA-256, as Gardien wrote them before the audit key."""
    entry_model = apps.get_model("audit", "AuditEntry")
    prev = "0" * 64
    for position in range(1, count + 1):
        fields = {
            "position": position,
            "at": dt.datetime(2025, 1, 1, 9, position, tzinfo=dt.UTC),
            "actor_kind": "system",
            "actor_ref": "system",
            "action": "erase",
            "target_type": "vault.person",
            "target_ref": str(position),
            "reason": "",
            "prev_hash": prev,
        }
        canonical = {**fields, "at": fields["at"].isoformat(timespec="microseconds")}
        digest = hashlib.sha256(
            json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        if position == edit:
            fields["reason"] = "edited afterwards"
        entry_model.objects.create(**fields, hash=digest)
        prev = digest


@pytest.mark.django_db(transaction=True)
def test_an_intact_log_is_signed_and_verifies():
    apps = migrate(BEFORE)
    legacy_log(apps, 4)

    migrate(AFTER)
    result = verify()
    assert result.ok
    assert result.checked == 4


@pytest.mark.django_db(transaction=True)
def test_a_tampered_log_stops_the_migration():
    apps = migrate(BEFORE)
    legacy_log(apps, 3, edit=2)

    with pytest.raises(RuntimeError, match="entry 2 was edited; it was not signed"):
        migrate(AFTER)
    # Nothing was signed: the database is still as before the migration.
    assert apps.get_model("audit", "AuditEntry").objects.filter(reason="edited afterwards")
    apps.get_model("audit", "AuditEntry").objects.all().delete()
    migrate(AFTER)
