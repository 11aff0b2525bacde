"""Rows whose activity the manifest chooses: page views are kept under the activity of the
audience's cookie purpose, whatever its id; with no ``[audience]``, those left from an
earlier policy go after the CNIL's ceiling for audience data."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from gardien.audience.models import PageView
from gardien.manifest import load_path
from gardien.manifest.schema import AUDIENCE_MAX_RETENTION
from gardien.policy.services import publish
from gardien.retention import engine
from gardien.retention.checks import retention_problems
from gardien.retention.registry import Declaration, retained
from tests.conftest import COOPO

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def stats_manifest(folder: Path) -> Path:
    """Coopo's manifest with its audience kept under an activity named "stats", 13 months."""
    text = COOPO.read_text(encoding="utf-8")
    text = text.replace('[[activities]]\nid = "audience"', '[[activities]]\nid = "stats"', 1)
    text = text.replace(
        'consent = "exempt_with_opt_out"\n  activity = "audience"',
        'consent = "exempt_with_opt_out"\n  activity = "stats"',
        1,
    )
    text = text.replace(
        'retention = "25 months after collected"', 'retention = "13 months after collected"', 1
    )
    path = folder / "stats.toml"
    path.write_text(text, encoding="utf-8")
    assert load_path(path).activity("stats").retention.text == "13 months after collected"
    return path


def without_audience(folder: Path) -> Path:
    text = COOPO.read_text(encoding="utf-8")
    start = text.index("\n[audience]\n")
    path = folder / "no-audience.toml"
    path.write_text(text[:start] + "\n", encoding="utf-8")
    assert load_path(path).audience is None
    return path


def add_view(age: dt.timedelta, path: str) -> None:
    PageView.objects.create(
        viewed_at=NOW - age, site="www.coopo.fr", path=path, screen="mobile", entry=True
    )


def page_views() -> engine.Category | None:
    manifest = engine._published()[1]
    found, _missing = engine.categories(manifest)
    return next((c for c in found if c.model is PageView), None)


@pytest.mark.django_db
def test_page_views_are_purged_by_the_period_of_the_activity_the_manifest_names(tmp_path):
    publish(stats_manifest(tmp_path), note="stats")
    add_view(dt.timedelta(days=14 * 31), "/old")
    add_view(dt.timedelta(days=12 * 30), "/recent")

    out = io.StringIO()
    call_command("purge", "--now", NOW.isoformat(), "--only", "stats", stdout=out)

    assert list(PageView.objects.values_list("path", flat=True)) == ["/recent"]
    category = page_views()
    assert category is not None and category.activity == "stats"
    assert category.rule is not None and category.rule.text == "13 months after collected"


@pytest.mark.django_db
def test_without_audience_page_views_left_go_after_the_ceiling(tmp_path):
    publish(without_audience(tmp_path), note="no audience")
    ceiling = dt.timedelta(days=AUDIENCE_MAX_RETENTION.days)
    add_view(ceiling + dt.timedelta(days=1), "/older-than-the-ceiling")
    add_view(ceiling - dt.timedelta(days=1), "/within-the-ceiling")

    call_command("purge", "--now", NOW.isoformat(), stdout=io.StringIO())

    assert list(PageView.objects.values_list("path", flat=True)) == ["/within-the-ceiling"]
    category = page_views()
    assert category is not None and category.kind == "technical" and category.activity is None
    assert category.period == ceiling


@pytest.mark.parametrize("manifest", [stats_manifest, without_audience])
def test_the_registry_checks_pass_whatever_the_audience_activity(manifest, tmp_path):
    problems = retention_problems(apps.get_models(), load_path(manifest(tmp_path)))

    assert problems == []


def test_without_a_ceiling_rows_no_activity_holds_are_left_alone(monkeypatch, tmp_path):
    from gardien.retention import registry

    declared = dict(registry._declared)
    declared[PageView._meta.label_lower] = Declaration(
        PageView, "rule", activity=lambda manifest: None, timestamp="viewed_at"
    )
    monkeypatch.setattr(registry, "_declared", declared)

    found, missing = engine.categories(load_path(without_audience(tmp_path)))

    assert PageView not in {c.model for c in found} and not missing


def test_a_ceiling_is_for_an_activity_the_manifest_may_not_name():
    with pytest.raises(ValueError, match="otherwise"):
        retained(activity="audience", timestamp="viewed_at", otherwise=dt.timedelta(days=1))
