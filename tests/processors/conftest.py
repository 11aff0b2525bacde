from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from tests.processors import tasks


@pytest.fixture(autouse=True)
def reset_tasks() -> Iterator[None]:
    tasks.reset()
    yield
    tasks.reset()


@pytest.fixture
def t0() -> dt.datetime:
    """An instant a day ahead, so every task enqueued by the test is already due."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0)


@pytest.fixture
def run_worker() -> Callable[..., str]:
    """Run `gardien worker --batch [--now AT]` in this process; return its last output line."""

    def run(at: dt.datetime | None = None) -> str:
        out = StringIO()
        args = ["--batch"] + (["--now", at.isoformat()] if at is not None else [])
        # In English, as the tests assert its summary; each task picks its own language.
        call_command("worker", *args, lang="en", stdout=out)
        return out.getvalue().strip().splitlines()[-1]

    return run
