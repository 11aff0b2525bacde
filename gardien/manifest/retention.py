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

# anchor -> (French, English) phrase used after "après"/"after"
ANCHORS: dict[str, tuple[str, str]] = {
    "last_contact": ("le dernier contact", "the last contact"),
    "given": ("le recueil du choix", "the choice is made"),
    "collected": ("la collecte", "collection"),
    "created": ("la création", "creation"),
    "recorded": ("l'enregistrement", "it is recorded"),
    "request closed": ("la clôture de la demande", "the request is closed"),
    "withdrawn": ("le retrait du consentement", "consent is withdrawn"),
    "unsubscribed": ("la désinscription", "unsubscription"),
    "account closed": ("la fermeture du compte", "the account is closed"),
}

# event -> (French, English) phrase used after "jusqu'à"/"until"
EVENTS: dict[str, tuple[str, str]] = {
    "consent withdrawn": ("le retrait du consentement", "consent is withdrawn"),
    "request closed": ("la clôture de la demande", "the request is closed"),
    "unsubscribed": ("la désinscription", "unsubscription"),
    "account closed": ("la fermeture du compte", "the account is closed"),
    "confirmed": ("la confirmation", "confirmation"),
}

_UNIT_FR = {
    "days": ("jour", "jours"),
    "weeks": ("semaine", "semaines"),
    "months": ("mois", "mois"),
    "years": ("an", "ans"),
}
_UNIT_EN = {
    "days": ("day", "days"),
    "weeks": ("week", "weeks"),
    "months": ("month", "months"),
    "years": ("year", "years"),
}

EXAMPLE = '"3 years after last_contact"'


class RetentionSyntaxError(ValueError):
    """A retention rule that does not follow the grammar; the message says how to fix it."""


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # days, weeks, months, years

    def after(self, start: dt.datetime) -> dt.datetime:
        if self.unit == "days":
            return start + dt.timedelta(days=self.amount)
        if self.unit == "weeks":
            return start + dt.timedelta(weeks=self.amount)
        if self.unit == "months":
            return add_months(start, self.amount)
        return add_months(start, 12 * self.amount)

    @property
    def approx_days(self) -> float:
        per = {"days": 1.0, "weeks": 7.0, "months": 30.44, "years": 365.25}
        return self.amount * per[self.unit]

    def in_months(self) -> float:
        return self.approx_days / 30.44

    def phrase(self, lang: str) -> str:
        one, many = (_UNIT_FR if lang == "fr" else _UNIT_EN)[self.unit]
        return f"{self.amount} {one if self.amount == 1 else many}"

    def __str__(self) -> str:
        return self.phrase("en")


@dataclass(frozen=True)
class AfterClause:
    duration: Duration
    anchor: str

    def phrase(self, lang: str) -> str:
        fr, en = ANCHORS[self.anchor]
        if lang == "fr":
            return f"{self.duration.phrase('fr')} après {fr}"
        return f"{self.duration.phrase('en')} after {en}"


@dataclass(frozen=True)
class UntilClause:
    event: str

    def phrase(self, lang: str) -> str:
        fr, en = EVENTS[self.event]
        if lang != "fr":
            return f"until {en}"
        if fr.startswith("le "):  # "à le" contracts to "au": jusqu'au retrait du consentement
            return f"jusqu'au {fr[3:]}"
        return f"jusqu'à {fr}"


Clause = AfterClause | UntilClause


@dataclass(frozen=True)
class RetentionRule:
    text: str
    clauses: tuple[Clause, ...]

    def phrase(self, lang: str) -> str:
        joiner = " ou " if lang == "fr" else " or "
        return joiner.join(clause.phrase(lang) for clause in self.clauses)

    @property
    def longest(self) -> Duration | None:
        durations = [c.duration for c in self.clauses if isinstance(c, AfterClause)]
        return max(durations, key=lambda d: d.approx_days) if durations else None

    def __str__(self) -> str:
        return self.text


_DURATION = re.compile(r"^(?P<amount>\d+)\s+(?P<unit>[a-z]+)$")


def parse_duration(text: str) -> Duration:
    """``"13 months"`` → Duration(13, "months")."""
    cleaned = " ".join(text.strip().lower().split())
    match = _DURATION.match(cleaned)
    if not match or match["unit"] not in UNITS:
        raise RetentionSyntaxError(
            f'"{text}" is not a duration; write e.g. "13 months" '
            "(units: days, weeks, months, years)"
        )
    amount = int(match["amount"])
    if amount <= 0:
        raise RetentionSyntaxError(f'"{text}" must be a positive duration; write e.g. "13 months"')
    return Duration(amount, UNITS[match["unit"]])


def _parse_clause(text: str, whole: str) -> Clause:
    words = text.split()
    if not words:
        raise RetentionSyntaxError(
            f'retention "{whole}" has an empty part around "or"; write e.g. {EXAMPLE}'
        )
    if words[0] == "until":
        event = " ".join(words[1:])
        if event not in EVENTS:
            known = ", ".join(f'"until {e}"' for e in EVENTS)
            raise RetentionSyntaxError(
                f'retention "{whole}": "until {event}" is not an event Gardien records; '
                f"use one of {known}"
            )
        return UntilClause(event)
    if "after" not in words:
        raise RetentionSyntaxError(
            f'retention "{whole}" is not a rule; write e.g. {EXAMPLE} or "until consent withdrawn"'
        )
    at = words.index("after")
    duration_text, anchor = " ".join(words[:at]), " ".join(words[at + 1 :])
    try:
        duration = parse_duration(duration_text)
    except RetentionSyntaxError:
        raise RetentionSyntaxError(
            f'retention "{whole}" is not a duration; write e.g. {EXAMPLE}'
        ) from None
    if anchor not in ANCHORS:
        known = ", ".join(ANCHORS)
        raise RetentionSyntaxError(
            f'retention "{whole}": "{anchor}" is not a moment Gardien records; '
            f"after one of: {known}"
        )
    return AfterClause(duration, anchor)


def parse_rule(text: str) -> RetentionRule:
    """Parse a retention rule or raise :class:`RetentionSyntaxError` with a fix."""
    if not isinstance(text, str) or not text.strip():
        raise RetentionSyntaxError(f"retention is empty; write e.g. {EXAMPLE}")
    normalised = " ".join(text.strip().split())
    # "or" at either end (or twice) leaves an empty part, reported as such, not as a bad duration.
    parts = re.split(r"(?<![^ ])or(?![^ ])", normalised.lower())
    clauses = tuple(_parse_clause(part, normalised) for part in parts)
    return RetentionRule(text=normalised, clauses=clauses)
