"""The limit for consent writes: a plain WSGI callable doing one INSERT per request.

No framework, no validation: read the body, ``json.loads`` it, and INSERT one row into a
table with the consent record's columns (a copy of the schema Django's migration made),
one transaction per request, one persistent connection per worker. Answers 201 with a
small JSON, like ``POST /api/consent``.

Configured by the environment (``bench/bench_consent_throughput.py`` sets it):

- ``CONSENT_BARE_DB``: ``sqlite:////abs/path.sqlite3`` or ``postgres://user@host:port/db``;
- ``CONSENT_BARE_SPEC``: JSON ``{"table": "...", "columns": [[name, source, arg], ...]}``
  where ``source`` is ``body`` (the body's field ``arg``, dicts and lists as JSON text),
  ``id`` (the body's ``consent_id``, or a fresh 22-character url-safe one), ``token`` (a
  fresh random url-safe string of ``arg`` characters), ``hex`` (fresh random hex of ``arg``
  characters), ``now`` (the current UTC time) or ``const`` (``arg`` itself).

Serve it with ``gunicorn --pythonpath bench consent_bare_app:application --workers 2``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from _bare_db import connect, is_sqlite

DB_URL = os.environ.get("CONSENT_BARE_DB", "")
SPEC = json.loads(os.environ.get("CONSENT_BARE_SPEC", '{"table": "", "columns": []}'))
IS_SQLITE = is_sqlite(DB_URL)

_connection: Any = None


def _build_insert() -> tuple[str, list[tuple[str, Any]]]:
    names = [c[0] for c in SPEC["columns"]]
    mark = "?" if IS_SQLITE else "%s"
    sql = (
        f'INSERT INTO "{SPEC["table"]}" ('
        + ", ".join(f'"{n}"' for n in names)
        + ") VALUES ("
        + ", ".join(mark for _ in names)
        + ")"
    )
    return sql, [(c[1], c[2]) for c in SPEC["columns"]]


INSERT_SQL, SOURCES = _build_insert()


def _value(source: str, arg: Any, body: dict[str, Any], now: dt.datetime, token: str) -> Any:
    if source == "body":
        value = body.get(arg)
        return json.dumps(value) if isinstance(value, (dict, list)) else value
    if source == "id":
        return token
    if source == "token":
        return secrets.token_urlsafe(arg)[:arg]
    if source == "hex":
        return secrets.token_hex((arg + 1) // 2)[:arg]
    if source == "now":
        # Django stores aware datetimes as UTC text on SQLite, timestamptz on PostgreSQL.
        return now.replace(tzinfo=None).isoformat(" ") if IS_SQLITE else now
    return arg


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    global _connection
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"bare consent app\n"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length))
    now = dt.datetime.now(dt.UTC)
    consent_id = body.get("consent_id") or secrets.token_urlsafe(16)[:22]
    values = [_value(source, arg, body, now, consent_id) for source, arg in SOURCES]
    if _connection is None:
        _connection = connect(DB_URL)
    if IS_SQLITE:
        _connection.execute("BEGIN IMMEDIATE")
        try:
            _connection.execute(INSERT_SQL, values)
        except BaseException:
            _connection.execute("ROLLBACK")
            raise
        _connection.execute("COMMIT")
    else:
        try:
            with _connection.cursor() as cursor:
                cursor.execute(INSERT_SQL, values)
        except BaseException:
            _connection.rollback()
            raise
        _connection.commit()
    payload = json.dumps(
        {
            "consent_id": consent_id,
            "recorded_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "version": body.get("version"),
        }
    ).encode()
    start_response(
        "201 Created",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
