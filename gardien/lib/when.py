"""The one time zone rule: every instant is stored in UTC, and every date a person reads is
shown in the organisation's zone (``TIME_ZONE``, checked at start), with the zone named.

    from gardien.lib import when

    when.text(moment)        # "2026-11-30 23:46 Europe/Paris"   (command line, CSV, PDF)
    when.day(moment)         # "2026-11-30"                      (the local calendar day)
    when.iso(moment)         # "2026-11-30T23:46:17+01:00"       (JSON: machines keep the offset)
    when.zone()              # "Europe/Paris"                    (a heading: "times in …")

Templates use the ``when`` filter of ``{% load gardien_when %}``, which prints the same text
in the page's language (the date as Django formats it, then the zone's name).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.conf import settings
from django.utils import formats, timezone


def zone() -> str:
    """The organisation's time zone, by its name (e.g. ``Europe/Paris``)."""
    return str(settings.TIME_ZONE)


def local(moment: datetime) -> datetime:
    """``moment`` in the organisation's zone (an aware instant; a naive one is taken as UTC)."""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return timezone.localtime(moment, timezone.get_default_timezone())


def text(moment: datetime | None, *, seconds: bool = False, empty: str = "—") -> str:
    """The instant as a person reads it: local date and time, then the zone's name."""
    if moment is None:
        return empty
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return f"{local(moment).strftime(shape)} {zone()}"


def day(moment: datetime | date | None, *, empty: str = "—") -> str:
    """The local calendar day of an instant (a date is shown as it is)."""
    if moment is None:
        return empty
    if isinstance(moment, datetime):
        moment = local(moment).date()
    return moment.isoformat()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the local offset, for JSON output (None stays None)."""
    return None if moment is None else local(moment).isoformat()


def display(moment: datetime | None, *, empty: str = "—") -> str:
    """The instant in the active language's date-time format, then the zone's name (pages)."""
    if moment is None:
        return empty
    return f"{formats.date_format(local(moment), 'DATETIME_FORMAT')} ({zone()})"
