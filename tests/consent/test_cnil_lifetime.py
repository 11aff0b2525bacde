"""`gardien check` warns (gardien.W001), without failing, when the visitors' cookie choice is
kept longer than the 6 months the CNIL recommends (guidelines and recommendation on cookies
of 17 September 2020)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gardien.policy.checks import manifest_warnings
from tests.english import english  # noqa: F401

TWELVE = 'choice_lifetime = "12 months"'


def run_check(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("check", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def _line_of(path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.strip() == needle)


def test_a_12_month_choice_is_a_warning_naming_the_cnil_and_the_fix(edited_manifest):
    path = edited_manifest((TWELVE, TWELVE))
    code, out, err = run_check(str(path))
    assert code == 0
    assert f"{path}: no problem found (7 activities, 5 processors, 3 cookie purposes)." in out
    assert err.splitlines()[0] == f"1 warning in {path}:"
    warning = f"{path}:{_line_of(path, TWELVE)}: (gardien.W001) "
    assert warning in err
    assert "kept 12 months before the banner asks again" in err
    assert "the CNIL recommends asking again about every 6 months" in err
    assert "recommendation on cookies of 17 September 2020" in err
    assert 'set choice_lifetime = "6 months"' in err


def test_coopo_s_manifest_draws_the_warning_and_still_passes(coopo_path):
    for extra in ((), ("--fail-level", "WARNING")):
        code, out, err = run_check(str(coopo_path), *extra)
        assert code == 0
        assert "no problem found" in out
        assert "(gardien.W001)" in err


@pytest.mark.parametrize("lifetime", ["6 months", "26 weeks", "184 days", "1 month"])
def test_6_months_or_less_draws_no_warning(edited_manifest, lifetime):
    path = edited_manifest((TWELVE, f'choice_lifetime = "{lifetime}"'))
    code, out, err = run_check(str(path))
    assert (code, err) == (0, "")
    assert f"{path}: no problem found" in out


@pytest.mark.parametrize("lifetime", ["185 days", "7 months", "1 year", "13 months"])
def test_longer_than_6_months_draws_the_warning(edited_manifest, lifetime):
    path = edited_manifest((TWELVE, f'choice_lifetime = "{lifetime}"'))
    code, _out, err = run_check(str(path))
    assert code == 0
    assert f"(gardien.W001) The visitors' cookie choices are kept {lifetime} " in err


def test_the_default_lifetime_is_pointed_at_the_cookies_table(edited_manifest):
    path = edited_manifest((TWELVE + "\n", ""))
    code, _out, err = run_check(str(path))
    assert code == 0
    assert f"{path}:{_line_of(path, '[cookies]')}: (gardien.W001)" in err
    assert "kept 12 months (choice_lifetime's default)" in err


def test_the_configured_manifest_is_warned_about_too(settings, edited_manifest, db):
    settings.GARDIEN_MANIFEST = edited_manifest((TWELVE, TWELVE))
    code, out, err = run_check()
    assert code == 0
    assert "(gardien.W001)" in err
    assert "System check identified no issues" in out

    settings.GARDIEN_MANIFEST = edited_manifest((TWELVE, 'choice_lifetime = "6 months"'))
    code, out, err = run_check()
    assert (code, err) == (0, "")


def test_a_silenced_warning_is_not_shown(settings, coopo_manifest, coopo_path):
    assert [w.id for w in manifest_warnings(coopo_manifest, coopo_path)] == ["gardien.W001"]
    settings.SILENCED_SYSTEM_CHECKS = ["gardien.W001"]
    assert manifest_warnings(coopo_manifest, coopo_path) == []
    code, _out, err = run_check(str(coopo_path))
    assert (code, err) == (0, "")
