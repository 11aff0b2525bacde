"""The locks the Makefile installs from: in step with pyproject.toml, hashed, and `make audit`
never reading "nothing checked" as a pass."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
DEV_LOCK = ROOT / "requirements" / "dev.lock"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)")


def pins(lock: Path) -> dict[str, tuple[str, int]]:
    """Each locked package: its version and how many hashes follow it."""
    found: dict[str, tuple[str, int]] = {}
    name = ""
    for line in lock.read_text().splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match[1])
            found[name] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, count = found[name]
            found[name] = (version, count + 1)
    return found


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def assert_locked(requirements: list[str], locked: dict[str, tuple[str, int]]) -> None:
    for text in requirements:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in the lock: run make lock"
        version, _ = locked[name]
        assert req.specifier.contains(version, prereleases=True), (
            f"{req.name}=={version} in the lock does not meet {req.specifier}: run make lock"
        )


def test_every_runtime_dependency_is_locked_at_an_allowed_version() -> None:
    runtime = project()["dependencies"] + project()["optional-dependencies"]["postgres"]
    assert_locked(runtime, pins(RUNTIME_LOCK))


def test_every_development_tool_is_locked() -> None:
    assert_locked(project()["optional-dependencies"]["dev"], pins(DEV_LOCK))


def test_every_locked_package_has_hashes() -> None:
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        for name, (version, hashes) in pins(lock).items():
            assert hashes, f"{name}=={version} has no hash in {lock.name}"


def test_tests_run_on_the_versions_deployed() -> None:
    dev = pins(DEV_LOCK)
    for name, (version, _) in pins(RUNTIME_LOCK).items():
        assert dev.get(name, ("absent",))[0] == version, f"{name} differs between the locks"


def test_the_development_tools_stay_out_of_the_runtime_lock() -> None:
    runtime = pins(RUNTIME_LOCK)
    for name in ("pytest", "playwright", "ruff", "mypy", "hypothesis"):
        assert name not in runtime


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", ROOT / "requirements" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skipped(name: str) -> dict:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI: {name} (1.0)"}


def test_audit_with_no_database_reached_is_no_pass(audit: ModuleType) -> None:
    code, lines = audit.verdict({"dependencies": [skipped("django"), skipped("pydantic")]})
    assert code == audit.UNCHECKED != 0
    assert lines[0].startswith("NOTHING WAS CHECKED")
    assert not any("No known" in line for line in lines)


def test_audit_with_some_packages_unchecked_is_no_pass(audit: ModuleType) -> None:
    report = {"dependencies": [{"name": "django", "version": "6.1", "vulns": []}, skipped("x")]}
    code, lines = audit.verdict(report)
    assert code == audit.UNCHECKED
    assert lines[0].startswith("INCOMPLETE: 1 of 2")


def test_audit_reports_a_vulnerability_first(audit: ModuleType) -> None:
    vuln = {"id": "PYSEC-1", "fix_versions": ["6.1.4"]}
    report = {"dependencies": [{"name": "django", "version": "6.1", "vulns": [vuln]}]}
    code, lines = audit.verdict(report)
    assert code == audit.VULNERABLE
    assert lines == ["VULNERABLE: django 6.1: PYSEC-1 (fixed in 6.1.4)"]


def test_audit_passes_only_when_every_package_was_checked(audit: ModuleType) -> None:
    report = {"dependencies": [{"name": "django", "version": "6.1", "vulns": []}]}
    assert audit.verdict(report)[0] == audit.CLEAN == 0
