"""The environment of a Gardien subprocess started by a test: nothing of the developer's
configuration, Gardien's real settings module, and its own var/ folder."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def subprocess_env(var_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(var_dir)),
        "LANG": "C.UTF-8",
        # Gardien's commands speak the reader's language; the tests read English.
        "LC_MESSAGES": "en_US.UTF-8",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "gardien.settings",
        "GARDIEN_VAR_DIR": str(var_dir),
    }
