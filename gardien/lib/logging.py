"""Keep secrets and identities out of the logs.

:class:`RedactFilter` is attached to every handler in ``settings.LOGGING`` (and to
gunicorn's loggers by ``gardien/gunicorn.conf.py``). It rewrites each record *in place*
before it is written, so every handler that sees the record afterwards sees the redacted
text too. What it removes:

- query strings of URLs (``/path?token=abc`` → ``/path?[redacted]``);
- path segments that look like tokens: 20 or more url-safe characters
  (``/confirm/8f3kQ2mZ9xTq1LpA7vB0cD4eF6gH`` → ``/confirm/[redacted]``);
- any other run of 32 or more url-safe characters mixing letters and digits (keys,
  session identifiers);
- email addresses;
- the value of anything named like password, token, code, secret, otp, username or
  email in ``key=value``, ``key: value`` and ``'key': 'value'`` forms;
- in database query logs (``django.db.backends``, only written when DEBUG is on), every
  quoted literal and the parameter list, since they hold usernames and other input.

:func:`truncated_address` cuts a client address to its network (IPv4 /24, IPv6 /48) for
gunicorn's access log, as the manifest's security activity declares.

It is a plain module (no Django import) so gunicorn's master process can load it.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

REDACTED = "[redacted]"

_KEY_WORDS = r"password|passwd|pwd|token|secret|code|otp|username|email|e-mail"
# 'key': 'value'  "key": "value"  key=value  key: value   (values stop at a delimiter)
_KEY_VALUE = re.compile(
    r"(?i)(?<![\w-])((?!status_code)[\w-]*(?:" + _KEY_WORDS + r")[\w-]*)"
    r"(['\"]?\s*[:=]\s*)"
    r"(?:'[^']*'|\"[^\"]*\"|[^\s&,;'\")\]}]+)"
)
# "@" written as such or percent-encoded in a URL ("%40").
_EMAIL = re.compile(r"[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# A query string: from "?" after a path-like run, to the next blank or quote.
_QUERY = re.compile(r"(?<=[\w/.%~-])\?[^\s'\"<>]+")
# A path segment of 20+ url-safe characters: "/" then the run, then a delimiter.
_PATH_TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_-]{20,}(?=$|[/?#\s'\";,)])")
# Anywhere: 32+ url-safe characters with at least one letter and one digit.
_LONG_TOKEN = re.compile(r"(?<![\w-])(?=[\w-]*[0-9])(?=[\w-]*[A-Za-z])[A-Za-z0-9_-]{32,}(?![\w-])")
_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")
_SQL_ARGS = re.compile(r"args=.*?(?=; alias=|$)", re.DOTALL)


def redact(text: str) -> str:
    """The text with tokens, query strings, emails and secret values replaced."""
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _EMAIL.sub(REDACTED, text)
    text = _QUERY.sub("?" + REDACTED, text)
    text = _PATH_TOKEN.sub(REDACTED, text)
    return _LONG_TOKEN.sub(REDACTED, text)


def redact_sql(text: str) -> str:
    """A database log line without its literals and parameters."""
    text = _SQL_ARGS.sub("args=" + REDACTED, text)
    return redact(_SQL_LITERAL.sub("'" + REDACTED + "'", text))


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a malformed call: keep what can be shown
        return f"{record.msg} {record.args!r}"


class RedactFilter(logging.Filter):
    """Redact a record's message, arguments and exception text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        is_sql = record.name.startswith("django.db.backends")
        clean = redact_sql if is_sql else redact
        record.msg = clean(_message(record))
        record.args = None
        if is_sql:
            sql = getattr(record, "sql", None)
            if isinstance(sql, str):
                setattr(record, "sql", redact_sql(sql))  # noqa: B010 (an extra attribute)
            if getattr(record, "params", None) is not None:
                setattr(record, "params", REDACTED)  # noqa: B010
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = clean(record.exc_text)
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
        return True


def redact_value(value: Any) -> str:
    """Redacted text of any value (for code that wants to log something it received)."""
    return redact(str(value))


def truncated_address(address: str) -> str:
    """The client's network instead of its address: ``203.0.113.7`` → ``203.0.113.0``,
    ``2001:db8:1:2::5`` → ``2001:db8:1::``. Enough to see where a flood of requests comes
    from, not to single out one visitor. Anything that is not an address gives ``-``."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "-"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if isinstance(ip, ipaddress.IPv4Address) else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
