"""The worker builds on django-tasks-db's internals: the range allowed is the range tested."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_django_tasks_db_is_pinned_below_the_next_minor_and_installed_within():
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    (pin,) = [r for r in map(Requirement, dependencies) if r.name == "django-tasks-db"]
    assert any(spec.operator == "<" for spec in pin.specifier), f"{pin} has no upper bound"
    installed = version("django-tasks-db")
    assert pin.specifier.contains(installed), f"django-tasks-db {installed} is not in {pin}"
