"""The database's own refusal to change or delete audit rows, and the purge's way through.

Triggers on the three audit tables refuse every UPDATE and DELETE (and, on PostgreSQL,
TRUNCATE), whoever sends it: the ORM's queryset ``update()``/``delete()``, raw SQL, a
database console. Two exceptions:

- the head's position may only grow (each new entry moves it forward);
- DELETE is let through while the purge path is open, which only
  :func:`gardien.audit.services.purge_before` does, inside its transaction, and closes
  again before it returns.

How the path is opened depends on the database:

- PostgreSQL: ``SET LOCAL gardien.audit_purge = 'on'``, a setting that lives only until
  the end of the transaction; the trigger reads it with ``current_setting(..., true)``.
- SQLite has no session variables, and its triggers cannot read temporary tables. The
  purge sets the single row of ``audit_purge_path`` to 1 inside its transaction and back
  to 0 before it commits; SQLite runs one writing transaction at a time, so no other
  writer ever sees it open, and a purge that fails rolls it back with the rest.
  :func:`gardien.audit.services.verify` reports a path left open.

The path is a guard against mistakes and casual edits, not a secret: whoever can run SQL
as Gardien can open it too. What they delete that way is then found by ``verify``, since
only the key signs the checkpoint that would explain it (docs/audit.md).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLES = ("audit_auditentry", "audit_auditcheckpoint", "audit_audithead")
POSTGRES_SETTING = "gardien.audit_purge"

_REFUSED = "the audit log is append-only; only gardien audit purge removes entries"

SQLITE_CREATE = [
    "CREATE TABLE audit_purge_path "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), open INTEGER NOT NULL CHECK (open IN (0, 1)))",
    "INSERT INTO audit_purge_path (id, open) VALUES (1, 0)",
    *(
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "  # noqa: S608
        "WHEN (SELECT open FROM audit_purge_path WHERE id = 1) IS NOT 1 "
        f"BEGIN SELECT RAISE(ABORT, 'DELETE on {table} refused: {_REFUSED}'); END"
        for table in TABLES
    ),
    *(
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'UPDATE on {table} refused: {_REFUSED}'); END"
        for table in TABLES[:2]
    ),
    "CREATE TRIGGER audit_audithead_only_forward BEFORE UPDATE ON audit_audithead "
    "WHEN NEW.position <= OLD.position OR NEW.install != OLD.install OR NEW.id != OLD.id "
    "BEGIN SELECT RAISE(ABORT, 'UPDATE on audit_audithead refused: its position only "
    "grows'); END",
]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_no_delete" for table in TABLES),
    *(f"DROP TRIGGER IF EXISTS {table}_no_update" for table in TABLES[:2]),
    "DROP TRIGGER IF EXISTS audit_audithead_only_forward",
    "DROP TABLE IF EXISTS audit_purge_path",
]

POSTGRES_CREATE = [
    f"""
    CREATE FUNCTION gardien_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Nested: PL/pgSQL may read NEW.install before knowing which table it is on.
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_audithead' THEN
            IF NEW.position > OLD.position AND NEW.install = OLD.install
                    AND NEW.id = OLD.id THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'UPDATE on audit_audithead refused: its position only grows'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP IN ('DELETE', 'TRUNCATE')
                AND current_setting('{POSTGRES_SETTING}', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '% on % refused: {_REFUSED}', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION gardien_audit_guard()"
        for table in TABLES
    ),
    *(
        f"CREATE TRIGGER {table}_guard_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION gardien_audit_guard()"
        for table in TABLES
    ),
]
POSTGRES_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}" for table in TABLES),
    *(f"DROP TRIGGER IF EXISTS {table}_guard_truncate ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS gardien_audit_guard()",
]


def set_purge_path(connection: BaseDatabaseWrapper, *, is_open: bool) -> None:
    """Open or close the purge's path through the triggers, for the current transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config(%s, %s, true)", [POSTGRES_SETTING, "on" if is_open else "off"]
            )
        else:
            cursor.execute("UPDATE audit_purge_path SET open = %s WHERE id = 1", [int(is_open)])


SQLITE_TRIGGERS = frozenset(
    {
        *(f"{table}_no_delete" for table in TABLES),
        *(f"{table}_no_update" for table in TABLES[:2]),
        "audit_audithead_only_forward",
    }
)
POSTGRES_TRIGGERS = frozenset(
    {*(f"{table}_guard" for table in TABLES), *(f"{table}_guard_truncate" for table in TABLES)}
)


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """The guard's triggers that are not in the database (someone dropped them)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = POSTGRES_TRIGGERS
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = SQLITE_TRIGGERS
        present = {row[0] for row in cursor.fetchall()}
    return sorted(expected - present)


def purge_path_left_open(connection: BaseDatabaseWrapper) -> bool:
    """Whether SQLite's purge path was committed open, or its table is gone (PostgreSQL's
    cannot outlive a transaction)."""
    from django.db import DatabaseError

    if connection.vendor == "postgresql":
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT open FROM audit_purge_path WHERE id = 1")
            row = cursor.fetchone()
    except DatabaseError:  # the table was dropped: nothing guards the purge's way
        return True
    return row is None or row[0] != 0
