"""Strict helpers to read settings from the environment.

A typo in a deployment variable should stop the service with a sentence naming
the variable, never fall back silently to a default that changes behaviour.

The sentence is said in the reader's language (``gardien`` prints ``err.sentence(lang)``),
although the settings, and so Django's translations, failed to load: an ``EnvError`` keeps its
English text (marked with ``gettext_noop`` for the catalogue) apart from the
values put into it, and :mod:`gardien.lib.languages` reads the compiled catalogue directly::

    raise EnvError(gettext_noop("%(name)s=%(raw)r is not a boolean; ..."), name=name, raw=raw)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from gardien.lib import languages
from gardien.lib.languages import gettext_noop


class EnvError(Exception):
    """A setting read from the environment is missing or malformed."""

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message % values if values else message)

    def sentence(self, language: str) -> str:
        """The sentence in ``language``, from the catalogue (English when it has none)."""
        text = languages.translate(self.message, language)
        return text % self.values if self.values else text


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
    raise EnvError(
        gettext_noop("%(name)s=%(raw)r is not a boolean; write %(name)s=true or %(name)s=false."),
        name=name,
        raw=raw,
    )


def envint(
    name: str,
    default: int,
    env: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    env = os.environ if env is None else env
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(
            gettext_noop(
                "%(name)s=%(raw)r is not a whole number; write e.g. %(name)s=%(default)s."
            ),
            name=name,
            raw=raw,
            default=default,
        ) from None
    if minimum is not None and value < minimum:
        raise EnvError(
            gettext_noop("%(name)s=%(value)s is too small; it must be at least %(minimum)s."),
            name=name,
            value=value,
            minimum=minimum,
        )
    if maximum is not None and value > maximum:
        raise EnvError(
            gettext_noop("%(name)s=%(value)s is too large; it must be at most %(maximum)s."),
            name=name,
            value=value,
            maximum=maximum,
        )
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
                gettext_noop(
                    "%(name)s_FILE points to %(file)r, which cannot be read (%(problem)s); fix "
                    "the path or set the variable directly."
                ),
                name=name,
                file=file_name,
                problem=exc.strerror,
            ) from None
        except UnicodeDecodeError:
            raise EnvError(
                gettext_noop(
                    "%(name)s_FILE points to %(file)r, which is not UTF-8 text; put the secret "
                    "in it as plain text."
                ),
                name=name,
                file=file_name,
            ) from None
        if not value:
            raise EnvError(
                gettext_noop("%(name)s_FILE points to an empty file; put the secret in it."),
                name=name,
            )
        return value
    value = env.get(name, "").strip()
    if value:
        return value
    if fallback is not None and fallback.get(name):
        return fallback[name]
    if required:
        raise EnvError(
            gettext_noop(
                "%(name)s is not set; production needs it (set %(name)s or %(name)s_FILE). "
                "Generate one with: gardien secrets generate"
            ),
            name=name,
        )
    return ""


def envdatabase(name: str, default: str, env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Django's DATABASES entry from a URL: ``sqlite:///path`` or ``postgres://u:p@host:port/db``."""
    from urllib.parse import unquote

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
                gettext_noop(
                    "%(name)s=%(raw)r has no file name; write e.g. sqlite:///var/gardien.sqlite3."
                ),
                name=name,
                raw=raw,
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise EnvError(
                gettext_noop(
                    "%(name)s has no database name; write e.g. "
                    "postgres://user:password@host:5432/gardien."
                ),
                name=name,
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
        gettext_noop(
            "%(name)s should start with sqlite:/// or postgres:// (it starts with %(start)r)."
        ),
        name=name,
        start=f"{parts.scheme}:" if parts.scheme else raw[:12],
    )


def _port(name: str, parts: object) -> str:
    try:
        port = parts.port  # type: ignore[attr-defined]
    except ValueError:
        raise EnvError(
            gettext_noop(
                "%(name)s has a port that is not a number from 1 to 65535; write e.g. "
                "postgres://user@host:5432/gardien."
            ),
            name=name,
        ) from None
    return str(port or "")


def envurl(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    """An http(s) address with a host, without its trailing slash."""
    env = os.environ if env is None else env
    raw = env.get(name) or default
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnvError(
            gettext_noop(
                "%(name)s=%(raw)r is not a web address; write it whole, with http:// or "
                "https://, e.g. %(name)s=%(example)s."
            ),
            name=name,
            raw=raw,
            example=default,
        )
    return raw.strip().rstrip("/")


def envchoice(
    name: str, default: str, choices: tuple[str, ...], env: Mapping[str, str] | None = None
) -> str:
    """One of ``choices`` (compared without regard to case, returned as listed)."""
    env = os.environ if env is None else env
    raw = env.get(name) or default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise EnvError(
        gettext_noop(
            "%(name)s=%(raw)r is not one of %(choices)s; write e.g. %(name)s=%(default)s."
        ),
        name=name,
        raw=raw,
        choices=", ".join(choices),
        default=default,
    )
