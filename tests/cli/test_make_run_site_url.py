"""`make run` serves on HOST:PORT and the banner calls back the same address: SITE_URL follows
PORT and HOST unless it is set (a banner posting to the wrong port records no proof)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def site_url_seen_by_make_run(tmp_path: Path, *args: str, env: dict[str, str]) -> str:
    """The SITE_URL the first `gardien` command of `make run` is given (that command is
    replaced by a script that prints it and stops make; nothing is installed or served)."""
    probe = tmp_path / "probe"
    probe.write_text('#!/bin/sh\necho "SITE_URL=$SITE_URL"\nexit 3\n', encoding="utf-8")
    probe.chmod(0o755)
    done = subprocess.run(
        ["make", "--no-print-directory", "run", "RUN_STAMP=/dev/null", f"GARDIEN={probe}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    seen = [line for line in done.stdout.splitlines() if line.startswith("SITE_URL=")]
    assert seen, done.stdout + done.stderr
    return seen[0].removeprefix("SITE_URL=")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT", "HOST")}


def test_site_url_follows_the_port(tmp_path: Path) -> None:
    assert site_url_seen_by_make_run(tmp_path, "PORT=8104", env=clean_env()) == (
        "http://127.0.0.1:8104"
    )


def test_site_url_follows_host_and_port(tmp_path: Path) -> None:
    seen = site_url_seen_by_make_run(tmp_path, "HOST=0.0.0.0", "PORT=9001", env=clean_env())
    assert seen == "http://0.0.0.0:9001"


def test_a_site_url_that_is_set_is_kept(tmp_path: Path) -> None:
    env = {**clean_env(), "SITE_URL": "https://privacy.example.org"}
    assert site_url_seen_by_make_run(tmp_path, "PORT=8104", env=env) == (
        "https://privacy.example.org"
    )
