"""`gardien audience report`: the back office's numbers in a terminal, as text or JSON; a
wrong date says what to write and exits with status 2."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.audience.test_backoffice import frozen_now, traffic  # noqa: F401 (fixtures)
from tests.cli.conftest import gardien  # noqa: F401 (fixture)
from tests.english import english  # noqa: F401

pytestmark = pytest.mark.django_db


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("audience", "report", *args, stdout=out)
    return out.getvalue()


def test_the_text_report_gives_each_day_then_the_lists(traffic, frozen_now):  # noqa: F811
    text = report("--from", "2026-11-20", "--to", "2026-11-26")
    lines = text.splitlines()
    assert lines[0] == "Audience from 2026-11-20 to 2026-11-26 (days in Europe/Paris)"
    assert lines[2].split() == ["day", "page", "views", "visits"]
    days = [line.split() for line in lines[3:10]]
    assert days[0] == ["2026-11-20", "4", "4"]
    assert days[5] == ["2026-11-25", "2", "1"]
    assert days[6] == ["2026-11-26", "3", "2"]
    assert "Top pages (4 in all)" in lines
    assert ["/contact", "4", "4"] in [line.split() for line in lines]
    assert ["duckduckgo.com", "1", "1"] in [line.split() for line in lines]
    assert lines[-1] == ("9 page views and 7 visits in 7 days (2026-11-20 to 2026-11-26).")


def test_the_json_report_has_every_number(traffic, frozen_now):  # noqa: F811
    data = json.loads(report("--from", "2026-11-25", "--to", "2026-11-26", "--json"))
    assert (data["start"], data["end"], data["views"], data["visits"]) == (
        "2026-11-25",
        "2026-11-26",
        5,
        3,
    )
    assert data["unique_visitors"] is False
    assert [d["day"] for d in data["days"]] == ["2026-11-25", "2026-11-26"]
    assert {"value": "/", "views": 2, "visits": 2, "visitors": 0} in data["pages"]
    assert [line["value"] for line in data["screens"]] == ["desktop", "mobile"]


def test_the_last_30_days_by_default_and_the_empty_summary(frozen_now):  # noqa: F811
    text = report()
    assert text.splitlines()[0] == "Audience from 2026-10-28 to 2026-11-26 (days in Europe/Paris)"
    assert text.splitlines()[-1].endswith(
        "no page view yet: add the banner tag to your site's pages."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-13-01"), "The start date “2026-13-01” is not a date"),
        (("--to", "yesterday"), "The end date “yesterday” is not a date"),
        (
            ("--from", "2026-11-26", "--to", "2026-11-01"),
            "after its end on 2026-11-01; swap the dates.",
        ),
    ],
)
def test_a_wrong_period_is_refused_with_status_2(frozen_now, args, message):  # noqa: F811
    with pytest.raises(CommandError) as refused:
        report(*args)
    assert refused.value.returncode == 2
    assert message in str(refused.value)


def test_the_command_line_exits_with_status_2(gardien):  # noqa: F811
    result = gardien("audience", "report", "--from", "2026-11-26", "--to", "2026-11-01")
    assert result.returncode == 2
    assert "swap the dates" in result.stderr
    helped = gardien("audience", "report", "--help")
    assert helped.returncode == 0
    assert "--from YYYY-MM-DD" in helped.stdout and "both included" in helped.stdout
