"""The database's triggers: no UPDATE nor DELETE on the audit log but the purge's own."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from gardien.audit import guard
from gardien.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from gardien.audit.services import purge_before, verify
from gardien.lib import clock


def refused(sql: str, params: list[object] | None = None) -> str:
    with (
        pytest.raises(IntegrityError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.fixture
def purged(write):  # type: ignore[no-untyped-def]
    """Two entries purged (a checkpoint at 2), two kept, and the purge's own entry."""
    write(2, start="2024-01-10T09:00:00")
    write(2, start="2025-06-01T09:00:00")
    purge_before(clock.parse_instant("2025-01-01"))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET reason = 'x' WHERE position = 3",
        "DELETE FROM audit_auditentry WHERE position = 3",
        "DELETE FROM audit_auditentry",
        "UPDATE audit_auditcheckpoint SET count = 1",
        "DELETE FROM audit_auditcheckpoint",
        "DELETE FROM audit_audithead",
        "UPDATE audit_audithead SET position = position - 1",
        "UPDATE audit_audithead SET install = 'elsewhere'",
    ],
)
def test_raw_sql_cannot_change_the_log(purged, sql):
    message = refused(sql)
    assert "refused" in message
    assert verify().ok


def test_the_orm_cannot_change_the_log_either(purged):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(position=3).update(reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.all().delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint.objects.update(count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint.objects.all().delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditHead.objects.update(position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditHead.objects.all().delete()
    assert AuditEntry.objects.count() == 3
    assert verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused(purged):
    for table in guard.TABLES:
        assert "refused" in refused(f"TRUNCATE {table}")


def test_the_head_may_only_move_forward(purged):
    # Forward is how each entry moves it; without the key, verify then sees a forgery.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_audithead SET position = position + 1")
    assert "does not match its signature" in verify().problem


def test_the_purge_path_is_closed_again_after_a_purge(purged):
    # Within the purge's own transaction, right after it, a DELETE is refused again.
    with pytest.raises(IntegrityError), transaction.atomic():
        purge_before(clock.parse_instant("2025-12-31"))
        AuditEntry.objects.all().delete()
    assert not guard.purge_path_left_open(connection)
    assert verify().ok


def test_a_purge_path_left_open_is_reported(purged):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL's setting ends with its transaction")
    guard.set_purge_path(connection, is_open=True)

    result = verify()
    assert not result.ok
    assert "left open" in result.problem


def test_the_purge_still_works_through_the_triggers(write):
    write(3, start="2024-01-10T09:00:00")
    write(1, start="2025-06-01T09:00:00")

    assert purge_before(clock.parse_instant("2025-01-01")) == 3
    assert list(AuditEntry.objects.values_list("position", flat=True).order_by("position")) == [
        4,
        5,
    ]
    assert verify().ok


def test_dropped_triggers_are_reported(purged):
    """Whoever can run SQL as Gardien can drop the triggers; verify says so, by name."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_auditentry_guard ON audit_auditentry")
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_no_update")

    result = verify()
    assert not result.ok
    assert "triggers that keep the audit log append-only were removed" in result.problem
    assert "audit_auditentry_" in result.problem


def test_a_dropped_purge_path_table_is_a_sentence_not_a_traceback(purged):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL has no such table")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE audit_purge_path")

    result = verify()
    assert not result.ok
    assert "left open" in result.problem
