"""`gardien check [PATH]`: every problem of the manifest with its file and line; the exit code."""

from __future__ import annotations

import io
import re

from django.core.management import call_command

from tests.english import english  # noqa: F401


def problem_lines(stderr: str, path: object) -> dict[int, str]:
    pattern = re.compile(rf"^\s*{re.escape(str(path))}:(\d+): (.+)$")
    found = {}
    for line in stderr.splitlines():
        match = pattern.match(line)
        if match:
            found[int(match[1])] = match[2]
    return found


def only_the_cnil_advice(stderr: str) -> bool:
    """Coopo keeps the visitors' choice 12 months: the CNIL's 6 months (gardien.W001, see
    tests/consent/test_cnil_lifetime.py) is the one warning, and it does not fail the check."""
    lines = stderr.splitlines()
    return len(lines) == 3 and "(gardien.W001)" in lines[1] and "HINT:" in lines[2]


def test_it_finds_no_problem_in_the_coopo_manifest(gardien):
    result = gardien("check", "examples/coopo/gardien.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "examples/coopo/gardien.toml: no problem found "
        "(7 activities, 5 processors, 3 cookie purposes)."
    )
    assert only_the_cnil_advice(result.stderr), result.stderr


def test_it_lists_every_problem_with_its_file_and_line(gardien, broken_copy):
    path, where = broken_copy
    result = gardien("check", str(path))
    assert result.returncode == 1
    assert "no problem found" not in result.stdout
    assert result.stderr.splitlines()[0] == f"2 problems in {path}:"
    problems = problem_lines(result.stderr, path)
    assert sorted(problems) == sorted(where.values())
    assert "3 yeers after last_contact" in problems[where["retention"]]
    assert "1 mont" in problems[where["response_time"]]
    assert "Traceback" not in result.stderr


def test_it_checks_the_configured_manifest_when_given_no_path(gardien, broken_copy):
    path, where = broken_copy
    result = gardien("check", env={"GARDIEN_MANIFEST": str(path)})
    assert result.returncode == 1
    assert sorted(problem_lines(result.stderr, path)) == sorted(where.values())


def run_check(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("check", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_it_passes_with_the_configured_manifest_and_runs_the_other_checks(settings, coopo_path, db):
    settings.GARDIEN_MANIFEST = coopo_path
    code, out, err = run_check()
    assert code == 0
    assert only_the_cnil_advice(err), err
    assert f"{coopo_path}: no problem found" in out
    assert "System check identified no issues" in out


def test_it_says_when_the_file_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere" / "gardien.toml"
    code, _out, err = run_check(str(missing))
    assert code == 1
    assert f"{missing}:1: no such file" in err


def test_it_says_when_given_a_folder(tmp_path):
    folder = tmp_path / "site/"
    folder.mkdir()
    code, _out, err = run_check(f"{folder}/")
    assert code == 1
    assert "this is a folder" in err


def test_it_says_when_the_file_is_not_toml(tmp_path):
    bad = tmp_path / "gardien.toml"
    bad.write_text('schema_version = 1\n[controller\nname = "x"\n', encoding="utf-8")
    code, _out, err = run_check(str(bad))
    assert code == 1
    assert f"{bad}:2: this is not valid TOML" in err


def test_it_checks_one_manifest_at_a_time(coopo_path, tmp_path):
    code, _out, err = run_check(str(coopo_path), str(tmp_path / "other.toml"))
    assert code == 2
    assert "Give one manifest file at a time." in err


def test_it_reports_the_counts_of_a_valid_manifest_in_process(coopo_path):
    code, out, err = run_check(str(coopo_path))
    assert code == 0
    assert only_the_cnil_advice(err), err
    assert f"{coopo_path}: no problem found (7 activities, 5 processors, 3 cookie purposes)" in out
