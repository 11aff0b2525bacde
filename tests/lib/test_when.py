"""The one time zone rule: stored in UTC, read in the organisation's zone with its name."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from gardien.lib import when

MOMENT = datetime(2026, 11, 30, 23, 46, 17, tzinfo=UTC)


@override_settings(TIME_ZONE="Europe/Paris")
def test_text_is_local_and_names_the_zone() -> None:
    assert when.text(MOMENT) == "2026-12-01 00:46 Europe/Paris"
    assert when.text(MOMENT, seconds=True) == "2026-12-01 00:46:17 Europe/Paris"
    assert when.day(MOMENT) == "2026-12-01"
    assert when.day(date(2026, 1, 2)) == "2026-01-02"
    assert when.iso(MOMENT) == "2026-12-01T00:46:17+01:00"
    assert when.text(None) == "—" and when.iso(None) is None


@override_settings(TIME_ZONE="America/New_York")
def test_another_zone() -> None:
    assert when.text(MOMENT) == "2026-11-30 18:46 America/New_York"


@override_settings(TIME_ZONE="Europe/Paris")
def test_template_filter() -> None:
    with translation.override("en"):
        out = Template("{% load gardien_when %}{{ m|when }} / {% time_zone %}").render(
            Context({"m": MOMENT})
        )
    assert "(Europe/Paris)" in out and out.endswith("/ Europe/Paris")
    assert "2026" in out
