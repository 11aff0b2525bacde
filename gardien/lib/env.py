"""Strict helpers to read settings from the environment.

A typo in a deployment variable should stop the service with a sentence naming
the variable, never fall back silently to a default that changes behaviour.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class EnvError(Exception):
    """A setting read from the environment is missing or malformed."""


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def envstr(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get(name, default)


def envbool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean; write {name}=true or {name}=false.")


def envint(
    name: str,
    default: int,
    env: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
) -> int:
    env = os.environ if env is None else env
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(
            f"{name}={raw!r} is not a whole number; write e.g. {name}={default}."
        ) from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} is too small; it must be at least {minimum}.")
    return value


def envlist(name: str, default: list[str], env: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    env = os.environ if env is None else env
    raw = env.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def envsecret(
    name: str,
    env: Mapping[str, str] | None = None,
    *,
    fallback: Mapping[str, str] | None = None,
    required: bool,
) -> str:
    """A secret from ``NAME_FILE`` (container secrets), then ``NAME``, then ``fallback``.

    When ``required`` and nothing provides it, fail with the variable's name.
    """
    env = os.environ if env is None else env
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EnvError(
                f"{name}_FILE points to {file_name!r}, which cannot be read ({exc.strerror}); "
                "fix the path or set the variable directly."
            ) from None
        except UnicodeDecodeError:
            raise EnvError(
                f"{name}_FILE points to {file_name!r}, which is not UTF-8 text; "
                "put the secret in it as plain text."
            ) from None
        if not value:
            raise EnvError(f"{name}_FILE points to an empty file; put the secret in it.")
        return value
    value = env.get(name, "").strip()
    if value:
        return value
    if fallback is not None and fallback.get(name):
        return fallback[name]
    if required:
        raise EnvError(
            f"{name} is not set; production needs it (set {name} or {name}_FILE). "
            "Generate one with: gardien secrets generate"
        )
    return ""


def envdatabase(name: str, default: str, env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Django's DATABASES entry from a URL: ``sqlite:///path`` or ``postgres://u:p@host:port/db``."""
    from urllib.parse import unquote, urlsplit

    env = os.environ if env is None else env
    raw = env.get(name) or default
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if raw.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        elif raw.startswith("sqlite:///"):
            path = path.lstrip("/")
        if not path:
            raise EnvError(
                f"{name}={raw!r} has no file name; write e.g. sqlite:///var/gardien.sqlite3."
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise EnvError(
                f"{name} has no database name; write e.g. postgres://user:password@host:5432/gardien."
            )
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": _port(name, parts),
        }
    raise EnvError(
        f"{name} should start with sqlite:/// or postgres:// (got {parts.scheme or 'no scheme'!r})."
    )


def _port(name: str, parts: object) -> str:
    try:
        port = parts.port  # type: ignore[attr-defined]
    except ValueError:
        raise EnvError(
            f"{name} has a port that is not a number; write e.g. postgres://user@host:5432/gardien."
        ) from None
    return str(port or "")
