from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from gardien.manifest import Manifest, load_path
from tests.audit_flush import _audit_log_flushable  # noqa: F401  (for every test)
from tests.fakes.brevo import fake_brevo  # noqa: F401  (a fixture for every test)

ROOT = Path(__file__).resolve().parent.parent
COOPO = ROOT / "examples" / "coopo" / "gardien.toml"
COOPO_ORIGINS = ("https://coopo.fr", "https://www.coopo.fr")


@pytest.fixture(autouse=True)
def _fresh_published_policy() -> None:
    """Each test has its own database: forget the published policy another one cached."""
    from gardien.policy.services import invalidate

    invalidate()


@pytest.fixture
def coopo_path() -> Path:
    return COOPO


@pytest.fixture
def coopo_sites(db):  # type: ignore[no-untyped-def]
    """Coopo's sites allowed, as a deployment allows its own (`gardien site add-origin`)."""
    from gardien.site import services as site
    from gardien.site.models import AddedFrom

    for origin in COOPO_ORIGINS:
        site.add(origin, source=AddedFrom.COMMAND)


@pytest.fixture
def published(coopo_sites):  # type: ignore[no-untyped-def]
    """The Coopo manifest published as version 1, Coopo's sites allowed."""
    from gardien.policy.services import publish

    return publish(COOPO, note="First version")


@pytest.fixture
def coopo_manifest(coopo_path: Path) -> Manifest:
    return load_path(coopo_path)


@pytest.fixture
def edited_manifest(coopo_path: Path, tmp_path: Path) -> Callable[..., Path]:
    """Write a copy of the Coopo manifest with exact, single-occurrence replacements."""
    counter = iter(range(1000))

    def edit(*replacements: tuple[str, str], prepend: str = "") -> Path:
        text = coopo_path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
            text = text.replace(old, new)
        target = tmp_path / f"edited-{next(counter)}" / "gardien.toml"
        target.parent.mkdir()
        target.write_text(prepend + text, encoding="utf-8")
        return target

    return edit


@pytest.fixture
def t0() -> dt.datetime:
    """An instant a day ahead, so every task enqueued by the test is already due."""
    return (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)


@pytest.fixture
def run_worker() -> Callable[[dt.datetime], str]:
    """Run `gardien worker --batch --now AT` in this process; return its summary line."""

    def run(at: dt.datetime) -> str:
        out = io.StringIO()
        # In English, as the tests assert its summary; each task picks its own language.
        call_command("worker", "--batch", "--now", at.isoformat(), lang="en", stdout=out)
        return out.getvalue().strip().splitlines()[-1]

    return run
