"""Page views are purged after the manifest's period ("25 months after collected" for Coopo);
the daily statistics drawn from them stay."""

from __future__ import annotations

import datetime as dt
import io

from django.apps import apps
from django.core.management import call_command

from gardien.audience import rollup
from gardien.audience.models import DailyStat, PageView
from gardien.manifest import load_path
from gardien.retention.checks import retention_problems
from tests.conftest import COOPO

COLLECTED = dt.datetime(2024, 1, 10, 12, tzinfo=dt.UTC)


def add_view(at: dt.datetime, path: str) -> None:
    PageView.objects.create(
        viewed_at=at, site="www.coopo.fr", path=path, screen="mobile", entry=True
    )


def test_page_views_past_the_period_are_purged_and_the_statistics_stay(published):
    add_view(COLLECTED, "/old")
    add_view(COLLECTED + dt.timedelta(days=400), "/recent")
    rollup.draw_up(COLLECTED.date())
    kept_before = list(DailyStat.objects.values_list("day", "dimension", "key", "views"))

    out = io.StringIO()
    call_command("purge", "--now", "2026-02-11T12:00:00+00:00", stdout=out)

    assert list(PageView.objects.values_list("path", flat=True)) == ["/recent"]
    assert list(DailyStat.objects.values_list("day", "dimension", "key", "views")) == kept_before
    assert rollup.day_stats(COLLECTED.date()).pages == (rollup.Line("/old", 1, 1, 0),)
    assert "audience" in out.getvalue()


def test_page_views_within_the_period_are_kept(published):
    add_view(COLLECTED, "/old")

    call_command("purge", "--now", "2026-02-09T12:00:00+00:00", stdout=io.StringIO())

    assert PageView.objects.count() == 1


def test_the_coopo_manifest_gives_page_views_their_rule():
    problems = retention_problems(apps.get_models(), load_path(COOPO))

    assert not [p for p in problems if "audience" in str(p.obj)], problems
