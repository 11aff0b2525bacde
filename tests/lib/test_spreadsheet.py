"""Every CSV Gardien writes opens in a spreadsheet as data: no cell runs as a formula."""

from __future__ import annotations

import csv
import io
import json

import pytest

from gardien.lib.spreadsheet import csv_writer, safe_cell

FORMULA = "=1+1"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("/=cmd", "/=cmd"),
        ("", ""),
        (-3, -3),
        ("-5", "-5"),
        ("+12.5", "+12.5"),
        ("-1e3", "-1e3"),
        ("-5 OR 1", "'-5 OR 1"),
        ("-5\n=1", "'-5\n=1"),
        (None, None),
    ],
)
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(value, written):
    assert safe_cell(value) == written


def _cells(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def test_the_writer_neutralises_every_row():
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";")
    writer.writerow(["a", FORMULA])
    writer.writerows([[FORMULA, 1]])
    assert _cells(out.getvalue(), ";") == [["a", "'=1+1"], ["'=1+1", "1"]]


def test_the_register_csv(monkeypatch):
    from gardien.policy import register

    monkeypatch.setattr(register, "rows", lambda data, what: (["name"], [[FORMULA]]))
    text = register.to_csv({}, "activities").decode("utf-8-sig")
    assert _cells(text, ";") == [["name"], ["'=1+1"]]


def test_the_portability_csv():
    from gardien.rights import fulfil

    body = fulfil._csv({"activities": {"contact": [{"message": FORMULA}]}}).decode("utf-8")
    assert ["contact", "1", "message", "'=1+1"] in _cells(body, ";")


def test_the_consent_proofs_csv():
    from gardien.consent import stats
    from gardien.consent.models import LEDGER_COLUMNS

    row = dict.fromkeys(LEDGER_COLUMNS, FORMULA)
    row.update(decisions={"analytics": True}, gpc=False)
    header, line = _cells("".join(stats.csv_lines([row])))
    cells = dict(zip(header, line, strict=True))
    assert cells["decisions"] == json.dumps({"analytics": True})
    assert [c for k, c in cells.items() if k not in ("decisions", "gpc")] == ["'=1+1"] * (
        len(LEDGER_COLUMNS) - 2
    )


def test_the_audience_csv(monkeypatch):
    from gardien.audience import stats

    monkeypatch.setattr(stats, "rows", lambda period: iter([("page", FORMULA, 1, 1, 0)]))
    body = stats.to_csv(None).decode("utf-8")  # type: ignore[arg-type]
    assert ["page", "'=1+1", "1", "1", "0"] in _cells(body, ";")


def test_no_module_writes_csv_without_the_shared_writer():
    from pathlib import Path

    import gardien

    root = Path(gardien.__file__).parent
    direct = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text()
    ]
    assert direct == ["lib/spreadsheet.py"]
