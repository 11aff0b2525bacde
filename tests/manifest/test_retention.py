"""The retention grammar: what a rule may say, how it reads, and when it comes due."""

from __future__ import annotations

import datetime as dt

import pytest

from gardien.lib.months import add_months, add_years
from gardien.manifest import wording
from gardien.manifest.retention import (
    AfterClause,
    Duration,
    RetentionSyntaxError,
    UntilClause,
    parse_duration,
    parse_rule,
)

# --- what parses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("3 years after last_contact", (AfterClause(Duration(3, "years"), "last_contact"),)),
        (
            "until consent withdrawn or 3 years after last_contact",
            (
                UntilClause("consent withdrawn"),
                AfterClause(Duration(3, "years"), "last_contact"),
            ),
        ),
        ("12 months after given", (AfterClause(Duration(12, "months"), "given"),)),
        ("until request closed", (UntilClause("request closed"),)),
        ("5 years after request closed", (AfterClause(Duration(5, "years"), "request closed"),)),
        ("2 weeks after created", (AfterClause(Duration(2, "weeks"), "created"),)),
    ],
)
def test_it_parses_the_rules_of_the_grammar(text, clauses):
    rule = parse_rule(text)

    assert rule.clauses == clauses
    assert rule.text == str(rule) == text


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("1 day after created", Duration(1, "days")),
        ("1 week after created", Duration(1, "weeks")),
        ("1 month after given", Duration(1, "months")),
        ("1 year after last_contact", Duration(1, "years")),
    ],
)
def test_it_accepts_singular_units(text, duration):
    (clause,) = parse_rule(text).clauses

    assert isinstance(clause, AfterClause)
    assert clause.duration == duration


def test_it_ignores_extra_spaces():
    rule = parse_rule("  until   consent  withdrawn\tor 3   years after  last_contact ")

    assert rule.text == "until consent withdrawn or 3 years after last_contact"
    assert (
        rule.clauses == parse_rule("until consent withdrawn or 3 years after last_contact").clauses
    )


def test_it_ignores_letter_case():
    rule = parse_rule("Until Consent Withdrawn OR 3 YEARS After Last_Contact")

    assert rule.clauses == (
        UntilClause("consent withdrawn"),
        AfterClause(Duration(3, "years"), "last_contact"),
    )


def test_it_finds_the_longest_delay_of_a_rule():
    assert parse_rule(
        "until confirmed or 7 days after created or 1 month after created"
    ).longest == (Duration(1, "months"))
    assert parse_rule("until request closed").longest is None


# --- what is refused, and why --------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   "])
def test_it_refuses_an_empty_rule(text):
    with pytest.raises(
        RetentionSyntaxError,
        match=r'^retention is empty; write e\.g\. "3 years after last_contact"$',
    ):
        parse_rule(text)


def test_it_refuses_a_zero_delay():
    with pytest.raises(RetentionSyntaxError) as caught:
        parse_rule("0 days after created")

    assert str(caught.value) == (
        'retention "0 days after created" is not a duration; '
        'write e.g. "3 years after last_contact"'
    )


def test_it_refuses_a_misspelt_unit():
    with pytest.raises(RetentionSyntaxError) as caught:
        parse_rule("3 yeras after last_contact")

    assert str(caught.value) == (
        'retention "3 yeras after last_contact" is not a duration; '
        'write e.g. "3 years after last_contact"'
    )


def test_it_refuses_an_event_gardien_does_not_record():
    with pytest.raises(RetentionSyntaxError) as caught:
        parse_rule("until tomorrow")

    assert str(caught.value) == (
        'retention "until tomorrow": "until tomorrow" is not an event Gardien records; use one '
        'of "until consent withdrawn", "until request closed", "until unsubscribed", '
        '"until account closed", "until confirmed"'
    )


def test_it_refuses_an_anchor_gardien_does_not_record():
    with pytest.raises(RetentionSyntaxError, match='"birthday" is not a moment Gardien records'):
        parse_rule("3 years after birthday")


@pytest.mark.parametrize(
    "text",
    [
        "or 3 years after last_contact",
        "3 years after last_contact or",
        "until consent withdrawn or or 3 years after last_contact",
    ],
)
def test_it_refuses_an_empty_part_around_or(text):
    with pytest.raises(RetentionSyntaxError) as caught:
        parse_rule(text)

    assert str(caught.value) == (
        f'retention "{text}" has an empty part around "or"; write e.g. "3 years after last_contact"'
    )


def test_it_refuses_a_sentence_that_is_not_a_rule():
    with pytest.raises(RetentionSyntaxError) as caught:
        parse_rule("forever")

    assert str(caught.value) == (
        'retention "forever" is not a rule; write e.g. "3 years after last_contact" '
        'or "until consent withdrawn"'
    )


def test_it_refuses_a_rule_that_is_not_text():
    with pytest.raises(RetentionSyntaxError, match="retention is empty"):
        parse_rule(None)  # type: ignore[arg-type]


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("13 months", Duration(13, "months")),
        ("1 Month", Duration(1, "months")),
        (" 2   years ", Duration(2, "years")),
        ("25 days", Duration(25, "days")),
    ],
)
def test_it_parses_a_duration(text, duration):
    assert parse_duration(text) == duration


def test_it_refuses_a_duration_without_a_known_unit():
    with pytest.raises(RetentionSyntaxError) as caught:
        parse_duration("13 moons")

    assert str(caught.value) == (
        '"13 moons" is not a duration; write e.g. "13 months" (units: days, weeks, months, years)'
    )


def test_it_refuses_a_zero_duration():
    with pytest.raises(RetentionSyntaxError) as caught:
        parse_duration("0 months")

    assert str(caught.value) == '"0 months" must be a positive duration; write e.g. "13 months"'


def test_it_compares_durations_of_different_units():
    assert Duration(13, "months").days < Duration(2, "years").days
    assert Duration(1, "years").months == 12
    assert Duration(4, "weeks").days == 28


# --- how a rule reads ----------------------------------------------------------------------


def test_it_reads_a_withdrawal_rule_naturally_in_both_languages():
    rule = parse_rule("until consent withdrawn or 3 years after last_contact")

    assert (
        wording.rule(rule, "fr")
        == "jusqu'au retrait du consentement ou 3 ans après le dernier contact"
    )
    assert (
        wording.rule(rule, "en") == "until consent is withdrawn or 3 years after the last contact"
    )


def test_it_reads_a_rule_with_one_clause_naturally_in_both_languages():
    rule = parse_rule("12 months after given")

    assert wording.rule(rule, "fr") == "12 mois après le recueil du choix"
    assert wording.rule(rule, "en") == "12 months after the choice is made"


def test_it_reads_singular_units_and_feminine_events():
    rule = parse_rule("until request closed or 1 year after recorded")

    assert (
        wording.rule(rule, "fr")
        == "jusqu'à la clôture de la demande ou 1 an après l'enregistrement"
    )
    assert wording.rule(rule, "en") == "until the request is closed or 1 year after it is recorded"


@pytest.mark.parametrize(
    ("duration", "fr", "en"),
    [
        (Duration(1, "days"), "1 jour", "1 day"),
        (Duration(2, "weeks"), "2 semaines", "2 weeks"),
        (Duration(1, "months"), "1 mois", "1 month"),
        (Duration(13, "months"), "13 mois", "13 months"),
        (Duration(3, "years"), "3 ans", "3 years"),
    ],
)
def test_it_names_a_duration_in_both_languages(duration, fr, en):
    assert wording.duration(duration, "fr") == fr
    assert wording.duration(duration, "en") == en == str(duration)


# --- when a delay comes due ----------------------------------------------------------------


def test_it_ends_a_month_after_the_31st_of_january_on_the_last_day_of_february():
    start = dt.datetime(2025, 1, 31, 14, 30, tzinfo=dt.UTC)

    assert Duration(1, "months").after(start) == dt.datetime(2025, 2, 28, 14, 30, tzinfo=dt.UTC)


def test_it_ends_on_the_29th_of_february_in_a_leap_year():
    start = dt.datetime(2024, 1, 31, 9, 0)

    assert Duration(1, "months").after(start) == dt.datetime(2024, 2, 29, 9, 0)


def test_it_keeps_the_day_of_the_month_when_it_exists():
    start = dt.datetime(2024, 1, 15)

    assert Duration(13, "months").after(start) == dt.datetime(2025, 2, 15)


def test_it_counts_years_in_calendar_months():
    assert Duration(1, "years").after(dt.datetime(2024, 2, 29)) == dt.datetime(2025, 2, 28)
    assert Duration(3, "years").after(dt.datetime(2023, 12, 31)) == dt.datetime(2026, 12, 31)


def test_it_counts_days_and_weeks_exactly():
    start = dt.datetime(2025, 2, 27, 23, 0)

    assert Duration(2, "days").after(start) == dt.datetime(2025, 3, 1, 23, 0)
    assert Duration(1, "weeks").after(start) == dt.datetime(2025, 3, 6, 23, 0)


def test_it_adds_and_removes_calendar_months_on_dates():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 12, 31), 2) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 3, 31), -1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 1, 15), -13) == dt.date(2023, 12, 15)
    assert add_years(dt.date(2028, 2, 29), 4) == dt.date(2032, 2, 29)
