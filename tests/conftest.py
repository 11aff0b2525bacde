from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COOPO = ROOT / "examples" / "coopo" / "gardien.toml"


@pytest.fixture(autouse=True)
def _fresh_published_policy() -> None:
    """Each test has its own database: forget the published policy another one cached."""
    from gardien.policy.services import invalidate

    invalidate()


@pytest.fixture
def coopo_path() -> Path:
    return COOPO


@pytest.fixture
def published(db):  # type: ignore[no-untyped-def]
    """The Coopo manifest published as version 1."""
    from gardien.policy.services import publish

    return publish(COOPO, note="First version")
