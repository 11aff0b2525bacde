"""The one clock of Gardien.

Every deadline and retention computation asks ``now()``. Jobs accept ``--now``
and pass it through :func:`frozen`; the web process honours the ``GARDIEN_NOW``
setting (refused in production) so time can be moved from outside in tests.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "gardien_clock_override", default=None
)


class ClockError(ValueError):
    """A time given by a person (``--now``, ``GARDIEN_NOW``) cannot be read."""


def parse_instant(text: str) -> dt.datetime:
    """Read an ISO 8601 date or date-time; a naive value is taken as UTC."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
        else:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        from django.utils.translation import gettext as _  # a command's reader: settings are set

        raise ClockError(
            _("%(text)r is not a date; write e.g. 2026-03-01 or 2026-03-01T14:30:00+01:00.")
            % {"text": text}
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _configured_now() -> dt.datetime | None:
    try:
        from django.conf import settings

        raw = getattr(settings, "GARDIEN_NOW", None)
    except Exception:  # settings not configured: plain library use
        return None
    if not raw:
        return None
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo is not None else raw.replace(tzinfo=dt.UTC)
    return parse_instant(str(raw))


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC), or the frozen one."""
    frozen_at = _override.get()
    if frozen_at is not None:
        return frozen_at
    configured = _configured_now()
    if configured is not None:
        return configured
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return now().date()


@contextmanager
def frozen(at: dt.datetime | str) -> Iterator[dt.datetime]:
    """Make :func:`now` answer ``at`` inside the block (a job's ``--now``)."""
    instant = parse_instant(at) if isinstance(at, str) else at
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    token = _override.set(instant)
    try:
        yield instant
    finally:
        _override.reset(token)
