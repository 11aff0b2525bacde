"""The limit for audience writes: a plain WSGI callable doing one INSERT per page view.

No framework, no validation beyond splitting the URL: read the body, ``json.loads`` it, and
INSERT one row into ``audience_pageview`` (a copy of the schema Django's migration made),
one transaction per request, one persistent connection per thread (the benchmark serves it
with gunicorn threads, as it serves Gardien). Answers 204, like ``POST /api/audience``.

``AUDIENCE_BARE_DB``: ``sqlite:////abs/path.sqlite3`` or ``postgres://user@host:port/db``.
Serve it with ``gunicorn --pythonpath bench audience_bare_app:application``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from _bare_db import connect, is_sqlite

DB_URL = os.environ.get("AUDIENCE_BARE_DB", "")
IS_SQLITE = is_sqlite(DB_URL)
MARK = "?" if IS_SQLITE else "%s"
INSERT = (
    'INSERT INTO "audience_pageview" ("viewed_at", "site", "path", "referrer", "screen", '
    f'"lang", "entry", "visitor") VALUES ({", ".join([MARK] * 8)})'
)

_local = threading.local()


def _connection() -> Any:
    if getattr(_local, "connection", None) is None:
        _local.connection = connect(DB_URL)
    return _local.connection


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"bare audience app\n"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length))
    url = urlsplit(body["url"])
    now = dt.datetime.now(dt.UTC)
    values = [
        now.replace(tzinfo=None).isoformat(" ") if IS_SQLITE else now,
        url.hostname,
        url.path,
        urlsplit(body["referrer"]).hostname or "",
        body["screen"],
        body["lang"],
        not body["referrer"],
        body["visitor"] or "",
    ]
    connection = _connection()
    if IS_SQLITE:
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(INSERT, values)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    else:
        try:
            with connection.cursor() as cursor:
                cursor.execute(INSERT, values)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    start_response("204 No Content", [])
    return []
