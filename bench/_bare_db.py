"""The database connection of the bare apps (bench/*_bare_app.py): no framework, one
persistent connection per worker, opened as Gardien's settings open theirs."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def connect(url: str) -> Any:
    """``sqlite:////abs/path.sqlite3`` (autocommit: the app says BEGIN IMMEDIATE itself) or
    ``postgres://user@host:port/db`` (psycopg, a transaction until commit)."""
    if is_sqlite(url):
        import sqlite3

        path = "/" + unquote(urlsplit(url).path).lstrip("/")
        conn = sqlite3.connect(path, isolation_level=None, timeout=20, check_same_thread=False)
        # The same pragmas as Gardien's settings for SQLite.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=20000")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=unquote(parts.path.lstrip("/")),
        autocommit=False,
    )
