"""`gardien logs`: the journal keeps Gardien's logs for the security activity's period."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gardien.policy.services import publish
from tests.conftest import COOPO

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("logs", *args, stdout=out)
    return out.getvalue()


def with_security_retention(tmp_path: Path, rule: str) -> Path:
    text = COOPO.read_text(encoding="utf-8")
    old = 'retention = "6 months after collected"\nretention_why = { fr = "Durée recommandée'
    assert old in text
    path = tmp_path / "gardien.toml"
    path.write_text(text.replace(old, old.replace("6 months", rule)), encoding="utf-8")
    return path


def test_the_journal_keeps_logs_for_the_declared_period(published: Any) -> None:
    conf = run()
    # 6 months span at least 181 days; the journal starts a file a day and drops a file
    # once its newest line is older than 180 days, so no line is kept beyond 181 days.
    assert "[Journal]\nMaxRetentionSec=180day\nMaxFileSec=1day\n" in conf
    assert '"6 months after collected"' in conf


def test_another_period_gives_other_settings(db: Any, tmp_path: Path) -> None:
    publish(with_security_retention(tmp_path, "1 year"), note="")
    assert "MaxRetentionSec=364day" in run()


def test_written_to_a_file(published: Any, tmp_path: Path) -> None:
    target = tmp_path / "journald@gardien.conf"
    said = run("--write", str(target))
    assert "181 days at most" in said
    assert "MaxRetentionSec=180day" in target.read_text(encoding="utf-8")


def test_a_file_that_cannot_be_written_is_a_sentence(published: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot write .* choose another file"):
        run("--write", str(tmp_path / "missing" / "x.conf"))


def test_nothing_published_is_a_sentence(db: Any) -> None:
    with pytest.raises(CommandError, match="publish it first"):
        run()


def test_the_units_log_into_that_namespace() -> None:
    deploy = Path(__file__).parents[2] / "docs" / "deploy"
    for unit in ("gardien-web.service", "gardien-worker.service"):
        assert "\nLogNamespace=gardien\n" in (deploy / unit).read_text(encoding="utf-8")
