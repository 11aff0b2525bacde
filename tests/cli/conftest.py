"""Run the real `gardien` command in a subprocess, away from the developer's var/ and database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The console script installed next to the interpreter running the tests (.venv/bin/gardien).
GARDIEN = Path(sys.executable).parent / "gardien"

# Settings read from the environment: none may leak in from the developer's shell.
CONFIGURATION = {
    "ALLOWED_HOSTS",
    "CONN_MAX_AGE",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DEBUG",
    "DEFAULT_FROM_EMAIL",
    "LOG_LEVEL",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "SITE_URL",
    "TIME_ZONE",
}


def clean_environment() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GARDIEN_", "DJANGO_", "EMAIL_"))
        and key.removesuffix("_FILE") not in CONFIGURATION
    }


Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def gardien(tmp_path: Path) -> Runner:
    """``gardien(*args, env={...})``: the command's exit code, stdout and stderr."""
    var = tmp_path / "var"
    var.mkdir()
    base = {
        **clean_environment(),
        "GARDIEN_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(GARDIEN), *args],
            cwd=ROOT,
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


@pytest.fixture
def broken_copy(coopo_path: Path, tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A copy of the Coopo manifest with two mistakes, and the line of each."""
    text = coopo_path.read_text(encoding="utf-8")
    mistakes = {
        'retention = "3 years after last_contact"': 'retention = "3 yeers after last_contact"',
        'response_time = "1 month"': 'response_time = "1 mont"',
    }
    for old, new in mistakes.items():
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / "broken" / "gardien.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    where = {
        key: next(n for n, line in enumerate(lines, start=1) if needle in line)
        for key, needle in (("retention", "3 yeers"), ("response_time", '"1 mont"'))
    }
    return path, where
