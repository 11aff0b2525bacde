"""The retention grammar.

A rule is one or more clauses joined by ``or``; the data goes at the first
clause that comes due::

    3 years after last_contact
    until consent withdrawn or 3 years after last_contact
    12 months after given
    until request closed

A clause is either ``until <event>`` or ``<n> <unit> after <anchor>``. Anchors
and events are the moments Gardien records; the retention engine reads the
matching timestamp from each registered model.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext as _

from gardien.lib.months import add_months

UNITS: dict[str, str] = {
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
}

#: The moments a period can count from ("3 years after last_contact"); their French and
#: English phrases are in :mod:`gardien.manifest.wording`.
ANCHORS = (
    "last_contact",
    "given",
    "collected",
    "created",
    "recorded",
    "request closed",
    "withdrawn",
    "unsubscribed",
    "account closed",
)

#: The events data can be kept until ("until consent withdrawn").
EVENTS = (
    "consent withdrawn",
    "request closed",
    "unsubscribed",
    "account closed",
    "confirmed",
)

EXAMPLE = '"3 years after last_contact"'


class RetentionSyntaxError(ValueError):
    """A retention rule that does not follow the grammar; the message says how to fix it."""


@dataclass(frozen=True)
class Duration:
    """A period of the manifest, counted in calendar units.

    Gardien has one month semantics, stated here and nowhere else:

    - where a date is computed (retention, due dates), :meth:`after` uses calendar
      arithmetic: one month after 31 January is the last day of February;
    - where a number of days is needed (a cookie's ``Max-Age``, the banner's numbers, the
      13-month ceiling), :attr:`days` is the *fewest* days the period can span from any
      start date, so a cookie set for ``days`` never outlives the period the policy
      declares: 1 month is 28 days, 12 months 365, 13 months 393 (31 January to 28 February
      of the next year).
    """

    amount: int
    unit: str  # days, weeks, months, years

    def after(self, start: dt.datetime) -> dt.datetime:
        if self.unit == "days":
            return start + dt.timedelta(days=self.amount)
        if self.unit == "weeks":
            return start + dt.timedelta(weeks=self.amount)
        return add_months(start, self.months)

    @property
    def months(self) -> int:
        """The period in calendar months (0 for days and weeks)."""
        return {"months": 1, "years": 12}.get(self.unit, 0) * self.amount

    @property
    def days(self) -> int:
        """The fewest whole days the period spans (see the class docstring)."""
        if self.unit == "days":
            return self.amount
        if self.unit == "weeks":
            return 7 * self.amount
        return _fewest_days(self.months)

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


@cache
def _fewest_days(months: int) -> int:
    """The shortest span of ``months`` calendar months over the 400-year Gregorian cycle.

    Clamping to the end of a shorter month makes a span shortest when it starts on the last
    day of a month, so those starts (and the 28th, where no clamping happens) are enough.
    """
    shortest = None
    for index in range(400 * 12):
        year, month = 2000 + index // 12, index % 12 + 1
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        for day in (28, last):
            start = dt.date(year, month, day)
            span = (add_months(start, months) - start).days
            shortest = span if shortest is None else min(shortest, span)
    assert shortest is not None
    return shortest


@dataclass(frozen=True)
class Session:
    """The lifetime of a cookie or storage key that goes when the browser session ends."""

    days = None

    def __str__(self) -> str:
        return "session"


SESSION = Session()
Lifetime = Duration | Session


@dataclass(frozen=True)
class AfterClause:
    duration: Duration
    anchor: str  # one of ANCHORS


@dataclass(frozen=True)
class UntilClause:
    event: str  # one of EVENTS


Clause = AfterClause | UntilClause


@dataclass(frozen=True)
class RetentionRule:
    text: str
    clauses: tuple[Clause, ...]

    @property
    def longest(self) -> Duration | None:
        durations = [c.duration for c in self.clauses if isinstance(c, AfterClause)]
        return max(durations, key=lambda d: d.days) if durations else None

    def after(self, anchor: str) -> Duration | None:
        """The period of the clause ``<period> after <anchor>``, if the rule has one."""
        return next(
            (c.duration for c in self.clauses if isinstance(c, AfterClause) and c.anchor == anchor),
            None,
        )

    def ends_at(self, event: str) -> bool:
        """Whether one of the clauses is ``until <event>``."""
        return any(isinstance(c, UntilClause) and c.event == event for c in self.clauses)

    def __str__(self) -> str:
        return self.text


_DURATION = re.compile(r"^(?P<amount>\d+)\s+(?P<unit>[a-z]+)$")


def parse_duration(text: str) -> Duration:
    """``"13 months"`` → Duration(13, "months")."""
    cleaned = " ".join(text.strip().lower().split())
    match = _DURATION.match(cleaned)
    if not match or match["unit"] not in UNITS:
        raise RetentionSyntaxError(
            _(
                '"%(text)s" is not a duration; write e.g. "13 months" '
                "(units: days, weeks, months, years)"
            )
            % {"text": text}
        )
    amount = int(match["amount"])
    if amount <= 0:
        raise RetentionSyntaxError(
            _('"%(text)s" must be a positive duration; write e.g. "13 months"') % {"text": text}
        )
    return Duration(amount, UNITS[match["unit"]])


def parse_lifetime(text: str) -> Lifetime:
    """``"session"`` or a duration such as ``"13 months"``."""
    if text.strip().lower() == "session":
        return SESSION
    return parse_duration(text)


def _parse_clause(text: str, whole: str) -> Clause:
    words = text.split()
    if not words:
        raise RetentionSyntaxError(
            _('retention "%(rule)s" has an empty part around "or"; write e.g. %(example)s')
            % {"rule": whole, "example": EXAMPLE}
        )
    if words[0] == "until":
        event = " ".join(words[1:])
        if event not in EVENTS:
            known = ", ".join(f'"until {e}"' for e in EVENTS)
            raise RetentionSyntaxError(
                _(
                    'retention "%(rule)s": "until %(event)s" is not an event Gardien records; '
                    "use one of %(known)s"
                )
                % {"rule": whole, "event": event, "known": known}
            )
        return UntilClause(event)
    if "after" not in words:
        raise RetentionSyntaxError(
            _(
                'retention "%(rule)s" is not a rule; write e.g. %(example)s '
                'or "until consent withdrawn"'
            )
            % {"rule": whole, "example": EXAMPLE}
        )
    at = words.index("after")
    duration_text, anchor = " ".join(words[:at]), " ".join(words[at + 1 :])
    try:
        duration = parse_duration(duration_text)
    except RetentionSyntaxError:
        raise RetentionSyntaxError(
            _('retention "%(rule)s" is not a duration; write e.g. %(example)s')
            % {"rule": whole, "example": EXAMPLE}
        ) from None
    if anchor not in ANCHORS:
        known = ", ".join(ANCHORS)
        raise RetentionSyntaxError(
            _(
                'retention "%(rule)s": "%(anchor)s" is not a moment Gardien records; '
                "after one of: %(known)s"
            )
            % {"rule": whole, "anchor": anchor, "known": known}
        )
    return AfterClause(duration, anchor)


def parse_rule(text: str) -> RetentionRule:
    """Parse a retention rule or raise :class:`RetentionSyntaxError` with a fix."""
    if not isinstance(text, str) or not text.strip():
        raise RetentionSyntaxError(
            _("retention is empty; write e.g. %(example)s") % {"example": EXAMPLE}
        )
    normalised = " ".join(text.strip().split())
    # "or" at either end (or twice) leaves an empty part, reported as such, not as a bad duration.
    parts = re.split(r"(?<![^ ])or(?![^ ])", normalised.lower())
    clauses = tuple(_parse_clause(part, normalised) for part in parts)
    return RetentionRule(text=normalised, clauses=clauses)
