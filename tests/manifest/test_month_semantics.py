"""One month semantics: calendar arithmetic where a date is computed, and the fewest days
a period spans where a number of days is needed — the same in the banner's document, the
cookie inventory and the 13-month rule."""

from __future__ import annotations

import datetime as dt

import pytest

from gardien.consent import inventory
from gardien.consent.config import build_document
from gardien.manifest.retention import Duration, parse_duration
from gardien.manifest.schema import CONSENT_MAX_LIFETIME

VISITOR = '{ name = "visitor", lifetime = "13 months",'


def test_one_month_after_31_january_is_the_last_day_of_february():
    month = parse_duration("1 month")
    assert month.after(dt.datetime(2026, 1, 31, 9, 0)) == dt.datetime(2026, 2, 28, 9, 0)
    assert month.after(dt.datetime(2028, 1, 31, 9, 0)) == dt.datetime(2028, 2, 29, 9, 0)
    # ...and in days, the shortest month it can be.
    assert month.days == 28


def test_thirteen_months_from_31_january_are_the_days_the_ceiling_allows():
    start = dt.datetime(2026, 1, 31)
    end = CONSENT_MAX_LIFETIME.after(start)
    assert end == dt.datetime(2027, 2, 28)
    assert (end - start).days == CONSENT_MAX_LIFETIME.days == 393


@pytest.mark.parametrize("months", range(1, 40))
def test_no_start_date_makes_a_period_shorter_than_its_days(months):
    duration = Duration(months, "months")
    for start in (dt.date(2026, 1, 31), dt.date(2027, 8, 31), dt.date(2099, 12, 31)):
        assert (duration.after(start) - start).days >= duration.days


@pytest.mark.parametrize(("lifetime", "days"), [("13 months", 393), ("393 days", 393)])
def test_the_banner_and_the_inventory_give_the_days_the_rule_accepts(
    draft, settings, lifetime, days
):
    manifest = draft.replace(VISITOR, f'{{ name = "visitor", lifetime = "{lifetime}",').load()
    document = build_document(manifest, 1, "fr", None)
    in_banner = {
        item["name"]: item["days"]
        for purpose in document["purposes"]
        for service in purpose["services"]
        for item in service["cookies"]
    }
    in_inventory = {
        item["name"]: item["days"] for item in inventory.build(manifest, "fr")["cookies"]
    }
    assert in_banner["visitor"] == in_inventory["visitor"] == days == CONSENT_MAX_LIFETIME.days


def test_one_day_more_than_thirteen_months_is_refused_by_the_rule(draft):
    problem = draft.replace(VISITOR, '{ name = "visitor", lifetime = "394 days",').problem()
    assert "may live 13 months (393 days) at most" in problem.message


@pytest.mark.parametrize(("lifetime", "refused"), [("13 months", False), ("394 days", True)])
def test_the_choice_lifetime_follows_the_same_days(draft, lifetime, refused):
    draft.replace('choice_lifetime = "12 months"', f'choice_lifetime = "{lifetime}"')
    if refused:
        assert "longer than the 13 months allowed" in draft.problem().message
    else:
        assert build_document(draft.load(), 1, "en", None)["choice_days"] == 393
