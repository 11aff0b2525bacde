"""Consent statistics for the back office, and the export of proofs.

Counting happens in the database (one query per table below), whatever the size of the
ledger; the chart is an inline SVG (``gardien.lib.chart``), so the page loads nothing from
anywhere.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from gardien.consent import config
from gardien.consent.models import (
    LEDGER_COLUMNS,
    REFUSING_ACTIONS,
    ConsentAction,
    ConsentRecord,
)
from gardien.lib import chart, clock
from gardien.lib.spreadsheet import csv_writer

DAYS = 30


@dataclass(frozen=True)
class PurposeCount:
    id: str
    name: str
    granted: int
    refused: int

    @property
    def total(self) -> int:
        return self.granted + self.refused

    @property
    def granted_percent(self) -> int | None:
        return round(100 * self.granted / self.total) if self.total else None


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    accepted: int  # accept_all
    refused: int  # REFUSING_ACTIONS: refuse_all, withdraw, gpc, close
    custom: int

    @property
    def total(self) -> int:
        return self.accepted + self.refused + self.custom


def local_day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def in_days(start: dt.date, end: dt.date) -> QuerySet[ConsentRecord]:
    """Proofs recorded from ``start`` to ``end`` included, in Gardien's time zone."""
    return ConsentRecord.objects.filter(
        recorded_at__gte=local_day_start(start),
        recorded_at__lt=local_day_start(end + dt.timedelta(days=1)),
    )


def last_days(days: int = DAYS) -> tuple[dt.date, dt.date]:
    end = timezone.localdate(clock.now())
    return end - dt.timedelta(days=days - 1), end


def purpose_counts(start: dt.date, end: dt.date, lang: str) -> list[PurposeCount]:
    """Granted and refused per purpose with a switch (those of the latest version)."""
    current = config.current(lang)
    if current is None:
        return []
    names = {p["id"]: p["name"] for p in current.document["purposes"]}
    purposes = list(current.switched)
    aggregates: dict[str, Any] = {}
    for n, purpose in enumerate(purposes):
        key = f"decisions__{purpose}"
        aggregates[f"g{n}"] = Count("pk", filter=Q(**{key: True}))
        aggregates[f"r{n}"] = Count("pk", filter=Q(**{key: False}))
    totals = in_days(start, end).aggregate(**aggregates) if aggregates else {}
    return [
        PurposeCount(purpose, names[purpose], totals[f"g{n}"], totals[f"r{n}"])
        for n, purpose in enumerate(purposes)
    ]


def day_counts(start: dt.date, end: dt.date) -> list[DayCount]:
    rows = (
        in_days(start, end)
        .annotate(day=TruncDate("recorded_at"))
        .values("day")
        .annotate(
            accepted=Count("pk", filter=Q(action=ConsentAction.ACCEPT_ALL)),
            refused=Count("pk", filter=Q(action__in=REFUSING_ACTIONS)),
            custom=Count("pk", filter=Q(action=ConsentAction.CUSTOM)),
        )
        .order_by("day")
    )
    found: dict[dt.date, dict[str, Any]] = {row["day"]: dict(row) for row in rows}
    days = []
    day = start
    while day <= end:
        row: dict[str, Any] = found.get(day, {})
        days.append(
            DayCount(day, row.get("accepted", 0), row.get("refused", 0), row.get("custom", 0))
        )
        day += dt.timedelta(days=1)
    return days


# Colours with enough contrast on white, told apart by more than hue (legend and titles).
COLOURS = {"accepted": "#1a7f37", "custom": "#0b5cad", "refused": "#9a6700"}
#: The kinds of choice, from the bottom of a day's bar up (and in the legend's order).
KINDS = ("accepted", "custom", "refused")


def chart_svg(days: list[DayCount], labels: dict[str, str], title: str) -> str:
    """A stacked bar chart of the choices of each day, as an inline SVG element
    (``gardien.lib.chart``)."""
    return chart.bars(
        [
            chart.Column(
                label=f"{day.day:%d/%m}",
                segments=[(getattr(day, kind), COLOURS[kind]) for kind in KINDS],
                tooltip=(
                    f"{day.day.isoformat()}: {labels['accepted']} {day.accepted}, "
                    f"{labels['custom']} {day.custom}, {labels['refused']} {day.refused}"
                ),
            )
            for day in days
        ],
        title=title,
        css_class="consent-chart",
    )


def proof_row(record: ConsentRecord) -> dict[str, Any]:
    """A proof as plain values, its time in UTC (the export's and `consent show --json`'s)."""
    row = {name: getattr(record, name) for name in LEDGER_COLUMNS}
    recorded_at = record.recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    row["recorded_at"] = recorded_at.replace("+00:00", "Z")
    return row


def export_rows(records: QuerySet[ConsentRecord]) -> Iterator[dict[str, Any]]:
    for record in records.order_by("recorded_at", "pk").iterator(chunk_size=2000):
        yield proof_row(record)


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv_writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(LEDGER_COLUMNS)
    yield flush()
    for row in rows:
        values = dict(row)
        values["decisions"] = json.dumps(row["decisions"], sort_keys=True)
        values["gpc"] = "true" if row["gpc"] else "false"
        writer.writerow([values[c] for c in LEDGER_COLUMNS])
        yield flush()


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False, sort_keys=True)
        first = False
    yield "\n]\n"
