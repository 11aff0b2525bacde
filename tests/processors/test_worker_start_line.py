"""`gardien worker` under `make run`: its start line is one line a person can read."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.environment import subprocess_env

GARDIEN = Path(sys.executable).parent / "gardien"


def test_the_worker_says_it_started_in_one_readable_line(tmp_path):
    env = subprocess_env(tmp_path / "var")
    for setup in (["secrets", "init"], ["migrate", "--noinput", "--verbosity", "0"]):
        subprocess.run(
            [str(GARDIEN), *setup], env=env, cwd=tmp_path, check=True, capture_output=True
        )
    # As `make run` starts it.
    worker = subprocess.Popen(
        [str(GARDIEN), "worker", "--verbosity", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = worker.stdout.readline()  # type: ignore[union-attr]
            if "worker" in line.lower() and "started" in line:
                break
    finally:
        # The worker stops after the job under way (its first periodic jobs run at start);
        # on a loaded machine that can take a while. A worker that will not stop is killed.
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert re.search(
        rf"Gardien worker started \(process {worker.pid}, queues: default\)\.$", line.rstrip()
    ), line
    assert "[redacted]" not in line
