"""A consistent copy of the database while Gardien runs, and its return into an empty one.

SQLite: the online backup API, in one step: the copy reads one snapshot in one read
transaction, during which Gardien's writers go on (the database is in WAL mode). Copying a few
pages at a time would start again from the beginning after every write made meanwhile, and
never end under a steady flow of consent proofs. PostgreSQL: ``pg_dump`` in its custom format
(one transaction's snapshot) and ``pg_restore``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connections
from django.utils.translation import gettext as _

#: Rows that `gardien migrate` itself writes into a new database: they do not make it hold data.
SEEDED = {
    "contenttypes.contenttype",
    "auth.permission",
    "auth.group",
    "auth.group_permissions",
    "audit.audithead",
    # `gardien check --deploy` and every start record the keys' fingerprints (vault/keycheck.py)
    "vault.keyfingerprint",
}

Progress = Callable[[int, int], None]  # (done, total)


class DatabaseError(RuntimeError):
    """The database cannot be copied or restored; the message says what to do."""


def vendor() -> str:
    return connections["default"].vendor


def _settings() -> dict[str, Any]:
    return connections["default"].settings_dict


def snapshot(target: Path, progress: Progress | None = None) -> str:
    """Write a consistent copy of the database to ``target``; returns its member name."""
    if vendor() == "sqlite":
        _sqlite_snapshot(target, progress)
        return "database.sqlite3"
    if vendor() == "postgresql":
        _run_pg("pg_dump", "--format=custom", "--no-owner", "--file", str(target))
        return "database.pgdump"
    raise DatabaseError(_("Backups support SQLite and PostgreSQL only."))


def _sqlite_snapshot(target: Path, progress: Progress | None) -> None:
    source = sqlite3.connect(Path(_settings()["NAME"]).resolve().as_uri() + "?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=20000")

        def step(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        source.backup(copy, pages=-1, progress=step)  # one step: see the module's docstring
    finally:
        copy.close()
        source.close()


def _pg_environment() -> dict[str, str]:
    config = _settings()
    env = dict(os.environ)
    for name, key in (
        ("PGDATABASE", "NAME"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
    ):
        if config.get(key):
            env[name] = str(config[key])
    if (config.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(config["OPTIONS"]["sslmode"])
    return env


def _run_pg(program: str, *args: str) -> None:
    if shutil.which(program) is None:
        raise DatabaseError(
            _(
                "%(program)s is not installed: install the PostgreSQL client (on Debian or "
                "Ubuntu: apt install postgresql-client, of the server's major version or later)."
            )
            % {"program": program}
        )
    done = subprocess.run(  # noqa: S603  (a fixed program; arguments from the settings)
        [program, *args], env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise DatabaseError(
            _("%(program)s failed: %(error)s")
            % {"program": program, "error": done.stderr.strip()[-500:]}
        )


def holds_data() -> list[str]:
    """The tables of the database that hold rows a fresh `gardien migrate` would not write
    (empty list: the database is empty, or has no tables yet)."""
    connection = connections["default"]
    existing = set(connection.introspection.table_names())
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in SEEDED or not model._meta.managed:
            continue
        if model._meta.db_table in existing and model._default_manager.using("default").exists():
            found.append(model._meta.db_table)
    return found


def restore(source: Path, member: str, progress: Progress | None = None) -> None:
    """Put the copy back into the configured database, which must be empty."""
    connections.close_all()
    if member == "database.sqlite3" and vendor() == "sqlite":
        _sqlite_restore(source, progress)
    elif member == "database.pgdump" and vendor() == "postgresql":
        _run_pg(
            "pg_restore",
            "--clean",  # the empty tables a `gardien migrate` may have created
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            _settings()["NAME"],
            str(source),
        )
    else:
        raise DatabaseError(
            _(
                "This backup is of a %(kind)s database and Gardien is configured for "
                "%(vendor)s: restore it into the same kind of database (DATABASE_URL)."
            )
            % {"kind": "SQLite" if member.endswith("sqlite3") else "PostgreSQL", "vendor": vendor()}
        )
    connections.close_all()


def _sqlite_restore(source: Path, progress: Progress | None) -> None:
    name = Path(_settings()["NAME"])
    name.parent.mkdir(parents=True, exist_ok=True)
    copy = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    target = sqlite3.connect(name)
    try:
        target.execute("PRAGMA busy_timeout=20000")

        def step(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        copy.backup(target, pages=-1, progress=step)
    finally:
        target.close()
        copy.close()
