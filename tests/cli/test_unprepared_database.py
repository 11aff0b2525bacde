"""A command run before `gardien migrate` says to run it, in a sentence, without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.environment import subprocess_env

GARDIEN = Path(sys.executable).parent / "gardien"


@pytest.mark.parametrize("command", [["site", "origins"], ["policy", "history"]])
def test_a_command_before_migrate_says_to_migrate(tmp_path: Path, command: list[str]) -> None:
    env = subprocess_env(tmp_path)
    subprocess.run([GARDIEN, "secrets", "init"], env=env, capture_output=True, check=True)
    done = subprocess.run(
        [GARDIEN, *command, "--lang", "en"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "run `gardien migrate`, then this command again" in done.stderr
    assert "Traceback" not in done.stderr
