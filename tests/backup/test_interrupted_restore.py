"""A restore stopped between the database copy and the replay leaves a marker, and nothing starts
on that database (web server, worker, `gardien check --deploy`) until a restore has finished."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connections
from django.utils import translation

from gardien.audit.services import Actor
from gardien.backup import restoring, services
from gardien.lib import clock
from gardien.vault import services as vault
from gardien.vault.models import Person

pytestmark = pytest.mark.django_db(transaction=True)

T = dt.datetime(2026, 1, 31, 10, 0, tzinfo=dt.UTC)
SENTENCE = "empty the database, then run the restore again"


@pytest.fixture(autouse=True)
def _apart(settings: Any, tmp_path: Path) -> None:
    settings.GARDIEN_TOMBSTONES_DIR = tmp_path / "tombstones"
    settings.GARDIEN_PRIVATE_FILES_DIR = tmp_path / "private"


@pytest.fixture
def archive(transactional_db: Any, tmp_path: Path) -> tuple[Path, Any]:
    """A backup holding Ada, who is erased after it was taken; returns it and Ada's id."""
    from gardien.policy.services import publish
    from tests.conftest import COOPO

    with clock.frozen(T - dt.timedelta(days=1)):
        publish(COOPO, note="First version")
    ada, _ = vault.get_or_create_person("ada@example.org", actor=Actor.system())
    ada_id = ada.pk
    path = tmp_path / "gardien.backup"
    with translation.override("en"):
        call_command("backup", "--to", str(path), stdout=io.StringIO())
    vault.erase(ada, actor=Actor.system(), reason="rights: erasure")
    return path, ada_id


def emptied(settings: Any) -> None:
    connections.close_all()
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.GARDIEN_PRIVATE_FILES_DIR, ignore_errors=True)


def restore(path: Path) -> None:
    with translation.override("en"):
        call_command("restore", "--from", str(path), stdout=io.StringIO())


def interrupted(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A restore killed after the database copy, before the replay."""

    def killed(result: Any) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(services, "replay", killed)
        with pytest.raises(KeyboardInterrupt):
            restore(path)


def gunicorn_on_starting() -> None:
    spec = importlib.util.spec_from_file_location(
        "gardien_gunicorn_conf", Path(services.__file__).parents[1] / "gunicorn.conf.py"
    )
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    conf.on_starting(None)


def test_a_restore_stopped_before_its_replay_stops_every_start(
    archive: tuple[Path, Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, ada_id = archive
    emptied(settings)

    interrupted(path, monkeypatch)

    assert Person.objects.filter(pk=ada_id).exists()  # what the marker guards against
    assert restoring.unfinished()
    with translation.override("en"):
        with pytest.raises(SystemExit) as web:
            gunicorn_on_starting()
        with pytest.raises(SystemExit) as worker:
            call_command("worker", stdout=io.StringIO())
        with pytest.raises(SystemExit) as batch:
            call_command("worker", "--batch", stdout=io.StringIO())
        with pytest.raises(SystemCheckError) as check:
            call_command("check", "--deploy", "--tag", "gardien", stdout=io.StringIO())
    for stopped in (web, worker, batch):
        assert str(stopped.value).startswith("Gardien cannot start: a restore")
        assert SENTENCE in str(stopped.value)
    assert "gardien.E130" in str(check.value) and SENTENCE in str(check.value)


def test_a_full_restore_into_the_emptied_instance_clears_the_marker(
    archive: tuple[Path, Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, ada_id = archive
    emptied(settings)
    interrupted(path, monkeypatch)

    emptied(settings)
    restore(path)

    assert not restoring.unfinished()
    assert not Person.objects.filter(pk=ada_id).exists()
    restoring.refuse_unfinished()
    assert restoring.check_no_unfinished_restore() == []


def test_a_normal_restore_leaves_no_marker_and_marks_before_the_copy(
    archive: tuple[Path, Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, ada_id = archive
    emptied(settings)
    seen = []
    copy = services.database.restore

    def watched(*args: Any, **kwargs: Any) -> None:
        seen.append(restoring.unfinished())
        copy(*args, **kwargs)

    monkeypatch.setattr(services.database, "restore", watched)

    restore(path)

    assert seen == [True]  # on disk before the database is written
    assert not restoring.unfinished()
    assert not Person.objects.filter(pk=ada_id).exists()


def test_a_restore_refused_before_it_writes_leaves_no_marker(
    archive: tuple[Path, Any], settings: Any
) -> None:
    path, _ = archive  # the database still holds data: the restore refuses

    with pytest.raises(Exception, match="already holds data"):
        restore(path)

    assert not restoring.unfinished()


def dead_pid() -> int:
    """The id of a process that has really ended (as a ``kill -9``'d backup has)."""
    import subprocess

    child = subprocess.Popen(["sleep", "0"])
    child.wait()
    return child.pid


def left_behind(settings: Any, pid: int) -> Path:
    """A scratch directory as a killed backup or restore leaves it: a database in clear."""
    scratch = Path(settings.VAR_DIR) / f"{services.SCRATCH_PREFIX}killed"
    scratch.mkdir(parents=True)
    (scratch / "owner.pid").write_text(str(pid))
    (scratch / "database").write_bytes(b"SQLite format 3\x00 a decrypted copy")
    return scratch


def test_a_killed_backup_copy_is_reported_then_removed_by_the_next_backup(
    archive: tuple[Path, Any], settings: Any, tmp_path: Path
) -> None:
    scratch = left_behind(settings, dead_pid())
    with translation.override("en"), pytest.raises(SystemCheckError, match=r"gardien\.W131"):
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=io.StringIO())
    with translation.override("en"):
        call_command("backup", "--to", str(tmp_path / "again.backup"), stdout=io.StringIO())
    assert not scratch.exists()
    assert not list(Path(settings.VAR_DIR).glob(services.SCRATCH_PREFIX + "*"))


def test_a_running_backup_copy_is_left_alone(
    archive: tuple[Path, Any], settings: Any, tmp_path: Path
) -> None:
    import subprocess

    running = subprocess.Popen(["sleep", "30"])
    try:
        scratch = left_behind(settings, running.pid)
        with translation.override("en"):
            call_command("backup", "--to", str(tmp_path / "again.backup"), stdout=io.StringIO())
        assert scratch.exists()
        assert services.stale_scratch() == []
    finally:
        running.kill()
        running.wait()
    assert services.stale_scratch() == [scratch]
    assert services.remove_stale_scratch() == 1 and not scratch.exists()


def test_a_killed_restore_copy_is_removed_by_the_next_restore(
    archive: tuple[Path, Any], settings: Any
) -> None:
    path, _ada = archive
    scratch = left_behind(settings, dead_pid())
    emptied(settings)
    restore(path)
    assert not scratch.exists()
