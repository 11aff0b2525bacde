"""The retention purge: every stored category, its rule from the published policy, enforced.

    from gardien.retention import engine

    engine.categories(manifest)            # every stored category and the rule it follows
    engine.forecast(now, days=(30, 90))    # what will go, per category, without changing anything
    engine.run(now, trigger="command")     # remove what is due, write the receipts
    engine.run_if_scheduled()              # the worker's daily job

**Where the rules come from.** Only from the manifest as published: an activity's
``retention``, or a record's (``[[activities.records]]``), named by each model's
registration (``@personal_data`` in the vault, ``@retained`` in
:mod:`gardien.retention.registry`). The registration's ``timestamp`` is the moment a period
counts from; an ``after last_contact`` clause counts from the later of it and the person's
last contact for the activity; an ``until <event>`` clause from the field the registration
maps the event to (or the app removes the rows itself at the event). The data goes at the
first clause that comes due. Technical lifetimes (an anti-replay window) come from the code
that relies on them and are purged the same way. People go when nothing else is kept about
them.

**Exact boundaries.** A row is due when ``period.after(anchor) <= now``, with the one month
semantics of :mod:`gardien.manifest.retention` (31 January + 1 month = end of February). The
database selects what is surely due; the few rows a month's clamping makes ambiguous are
checked one by one.

**Held.** A row whose person holds a restriction that stops erasure (Art. 18(1)(b)–(c)) for
its activity is not removed while it lasts; the receipt counts it as held.

**Batches.** Each batch is one short transaction that checks the condition again, so a
concurrent writer (a consent proof, a last contact that just moved) waits at most one batch
and a row that stopped being due stays. A stop (SIGTERM) is honoured between batches. The
rows of a model whose erasure does more than delete (a subscription: the proof records the
withdrawal, the processor is told, in the same transaction) go through the vault's
``expiring`` signal and the model's delete signals.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gardien.audit.services import Actor, record
from gardien.lib import clock, stop
from gardien.lib.months import add_months
from gardien.manifest import wording
from gardien.manifest.retention import AfterClause, Duration, RetentionRule, UntilClause
from gardien.manifest.schema import Manifest
from gardien.processors import periodic
from gardien.retention.models import PurgeReceipt, PurgeRun
from gardien.retention.registry import Declaration, declarations
from gardien.vault import services as vault
from gardien.vault.models import Person
from gardien.vault.registry import Registration, registrations

logger = logging.getLogger("gardien.retention")

#: The manifest record the receipts themselves are kept under.
RECEIPTS = ("security", "retention_receipt")
#: A person is never removed in the day they were created: the transaction that files their
#: first record may still be open.
PERSON_GRACE = dt.timedelta(days=1)
#: The lease that keeps two purges (two workers, a worker and cron) from running at once.
LEASE = "retention.run"
#: The lease is renewed between batches, so a purge killed outright (power cut, SIGKILL)
#: frees it this soon, while a long one keeps it.
LEASE_TIMEOUT = dt.timedelta(minutes=10)
LEASE_RENEW_SECONDS = 30.0

Kind = Literal["rule", "technical", "identity"]

#: Sent in each batch's transaction just before its rows are deleted, with ``queryset``: a
#: table whose removal must leave a record of its own (the consent ledger's seals) listens.
removing = Signal()


class PurgeRefused(RuntimeError):
    """The purge cannot run (no published policy, another purge running); says what to do."""


@dataclass(frozen=True)
class Category:
    """One kind of stored row and the rule it follows."""

    model: type[models.Model]
    kind: Kind
    activity: str | None = None
    record: str | None = None
    rule: RetentionRule | None = None
    timestamp: str | None = None
    expires: str | None = None
    lifetime: dt.timedelta | Callable[[], dt.timedelta] | None = None
    person: str | None = None  # path to the person ("" for Person), None: about no one
    erase: Literal["delete", "anonymise"] = "delete"
    fields: tuple[str, ...] = ()
    until: tuple[tuple[str, str], ...] = ()
    only: Callable[[], Any] | None = None
    purge: Any = None  # a callable or dotted path: (instant, dry_run) -> count
    because: Any = ""

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    @property
    def name(self) -> str:
        return str(self.model._meta.verbose_name_plural).lower()

    @property
    def rule_text(self) -> str:
        """The rule as the manifest writes it, or the technical lifetime in words."""
        if self.rule is not None:
            return self.rule.text
        if self.kind == "identity":
            return _("when nothing else is kept about them")
        if self.expires is not None:
            return _("until its own expiry (%(why)s)") % {"why": self.because}
        assert self.timestamp is not None
        return _("%(days)s after %(field)s (%(why)s)") % {
            "days": _duration_words(self.period),
            "field": getattr(self.model._meta.get_field(self.timestamp), "verbose_name", ""),
            "why": self.because,
        }

    @property
    def rule_words(self) -> str:
        """The rule as a reader says it, in the active language ("3 ans après le dernier
        contact"); receipts keep :attr:`rule_text`, as the manifest writes it."""
        if self.rule is None:
            return self.rule_text
        language = (translation.get_language() or wording.DEFAULT_LANGUAGE).split("-")[0]
        return wording.rule(self.rule, language)

    @property
    def period(self) -> dt.timedelta:
        """A technical category's lifetime."""
        assert self.lifetime is not None
        return self.lifetime() if callable(self.lifetime) else self.lifetime

    @property
    def where(self) -> str:
        """Where the rule is written: "contact", "newsletter / pending_signup", or Gardien."""
        if self.activity is None:
            return "Gardien"
        return f"{self.activity} / {self.record}" if self.record else self.activity

    @property
    def outcome(self) -> str:
        return (
            PurgeReceipt.Outcome.ANONYMISED
            if self.erase == "anonymise"
            else PurgeReceipt.Outcome.DELETED
        )

    # --- what is due --------------------------------------------------------------------

    def rows(self) -> Any:
        query = self.model._default_manager.all()
        if self.only is not None:
            query = query.filter(self.only())
        if self.erase == "anonymise" and not self.encrypted:
            # Already anonymised rows are not due again: a second run is a no-op.
            blank = models.Q()
            for name in self.fields:
                blank &= models.Q(**{name: _blank_value(self.model, name)})
            query = query.exclude(blank)
        return query

    @property
    def encrypted(self) -> bool:
        """Whether a personal field is encrypted (then only Python can tell it is blank)."""
        from gardien.vault.fields import EncryptedTextField

        return any(
            isinstance(self.model._meta.get_field(name), EncryptedTextField) for name in self.fields
        )

    def not_yet_anonymised(self, query: Any) -> list[Any]:
        """The rows of ``query`` that still hold a personal value (read one by one)."""
        return [
            obj.pk
            for obj in query.only("pk", *self.fields).iterator(chunk_size=500)
            if any(getattr(obj, name) not in ("", None) for name in self.fields)
        ]

    def due(self, now: dt.datetime) -> models.Q:
        """The rows due at ``now`` (held ones included)."""
        if self.kind == "identity":
            return models.Q(pk__in=vault.unreferenced_people(now - PERSON_GRACE).values("pk"))
        if self.kind == "technical":
            if self.expires is not None:
                return models.Q(**{f"{self.expires}__lte": now})
            assert self.timestamp is not None
            return models.Q(**{f"{self.timestamp}__lte": now - self.period})
        assert self.rule is not None
        due = models.Q(pk__in=[])
        for clause in self.rule.clauses:
            if isinstance(clause, AfterClause):
                if clause.anchor == "last_contact" and self.person is not None:
                    due |= self._after_last_contact(clause.duration, now)
                else:
                    due |= self._after(clause.duration, now)
            elif isinstance(clause, UntilClause):
                mapped = dict(self.until).get(clause.event)
                if mapped:  # AT_EVENT (or unmapped): the app removes the rows at the event
                    due |= models.Q(**{f"{mapped}__lte": now})
        return due

    def _after(self, period: Duration, now: dt.datetime) -> models.Q:
        assert self.timestamp is not None
        sure, maybe = _cutoffs(period, now)
        due = models.Q(**{f"{self.timestamp}__lte": sure})
        if maybe > sure:
            window = self.rows().filter(
                **{f"{self.timestamp}__gt": sure, f"{self.timestamp}__lte": maybe}
            )
            extra = [
                pk for pk, at in window.values_list("pk", self.timestamp) if period.after(at) <= now
            ]
            due |= models.Q(pk__in=extra)
        return due

    def _after_last_contact(self, period: Duration, now: dt.datetime) -> models.Q:
        """Due when the period has passed since the later of the timestamp and the person's
        last contact for the activity."""
        assert self.timestamp is not None and self.person is not None and self.activity
        sure, maybe = _cutoffs(period, now)
        path, activity = self.person, self.activity
        due = models.Q(**{f"{self.timestamp}__lte": sure}) & ~vault.contacted_since(
            path, activity, sure
        )
        if maybe > sure:
            person_pk = f"{path}__pk" if path else "pk"
            window = (
                self.rows()
                .filter(**{f"{self.timestamp}__lte": maybe})
                .exclude(vault.contacted_since(path, activity, maybe))
                .exclude(due)
            )
            found = list(window.values_list("pk", self.timestamp, person_pk))
            contacts = vault.last_contacts([p for _, _, p in found if p is not None], activity)
            extra = [
                pk
                for pk, at, person in found
                if period.after(max(at, contacts.get(person, at))) <= now
            ]
            due |= models.Q(pk__in=extra)
        return due

    def held(self) -> models.Q | None:
        """The rows a restriction keeps (None: rows about no one are never held)."""
        if self.person is None or self.kind == "identity":
            return None
        return vault.erasure_held(self.person, self.activity)

    def removable(self, now: dt.datetime) -> Any:
        query = self.rows().filter(self.due(now))
        held = self.held()
        return query if held is None else query.exclude(held)

    def held_count(self, now: dt.datetime) -> int:
        held = self.held()
        if held is None:
            return 0
        return self.rows().filter(self.due(now)).filter(held).count()

    def count_due(self, now: dt.datetime) -> int:
        if self.purge is not None:
            return int(_purger(self.purge)(self._purge_instant(now), True))
        if self.erase == "anonymise" and self.encrypted:
            return len(self.not_yet_anonymised(self.removable(now)))
        return self.removable(now).count()

    def _purge_instant(self, now: dt.datetime) -> dt.datetime:
        """For a table with its own way out: everything older than this goes."""
        assert self.rule is not None
        periods = [c.duration for c in self.rule.clauses if isinstance(c, AfterClause)]
        return min(_cutoffs(p, now)[0] for p in periods)


def _purger(purge: Any) -> Callable[[dt.datetime, bool], int]:
    return import_string(purge) if isinstance(purge, str) else purge


def _blank_value(model: type[models.Model], name: str) -> Any:
    field_ = model._meta.get_field(name)
    return None if getattr(field_, "null", False) else ""


def _cutoffs(period: Duration, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``sure``: every anchor at or before it is due at ``now``; ``maybe``: no anchor after it
    is. Between the two (only at the end of a month) each anchor is checked one by one."""
    if period.months == 0:
        sure = now - (period.after(now) - now)
        return sure, sure
    sure = add_months(now, -period.months)
    last_day = add_months(now.replace(day=1), 1) - dt.timedelta(days=1)
    if now.day != last_day.day:
        return sure, sure
    # now is the last day of its month: later days of sure's month clamp onto it.
    next_month = add_months(sure.replace(day=1, hour=0, minute=0, second=0, microsecond=0), 1)
    return sure, max(sure, next_month - dt.timedelta(microseconds=1))


def _duration_words(period: dt.timedelta) -> str:
    if period % dt.timedelta(days=1) == dt.timedelta(0):
        n = period.days
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if period % dt.timedelta(hours=1) == dt.timedelta(0):
        n = period // dt.timedelta(hours=1)
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    n = period // dt.timedelta(minutes=1)
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}


# --- the categories ---------------------------------------------------------------------


@dataclass(frozen=True)
class Unruled:
    """A stored category whose rule the manifest does not give (the check reports it)."""

    label: str
    problem: str


def _rule(manifest: Manifest, activity_id: str, record_id: str | None) -> RetentionRule | str:
    try:
        activity = manifest.activity(activity_id)
    except KeyError:
        return _('the manifest declares no activity "%(activity)s"') % {"activity": activity_id}
    if record_id is None:
        return activity.retention
    found = next((r for r in activity.records if r.id == record_id), None)
    if found is None:
        return _('activity "%(activity)s" declares no record "%(record)s"') % {
            "activity": activity_id,
            "record": record_id,
        }
    return found.retention


def categories(manifest: Manifest) -> tuple[list[Category], list[Unruled]]:
    """Every stored category with a period, in the order the purge takes them, and those whose
    rule the manifest lacks."""
    found: list[Category] = []
    missing: list[Unruled] = []
    order = {a.id: i for i, a in enumerate(manifest.activities)}
    personal = sorted(
        (r for r in registrations() if r.activity is not None),
        key=lambda r: (order.get(r.activity or "", len(order)), r.label),
    )
    for registration in personal:
        assert registration.activity is not None
        rule = _rule(manifest, registration.activity, registration.record)
        if isinstance(rule, str):
            missing.append(Unruled(registration.label, rule))
            continue
        found.append(_from_registration(registration, rule))
    for declaration in declarations():
        if declaration.kind == "rule":
            activity = declaration.activity_under(manifest)
            if activity is None:
                # No activity of this manifest holds these rows: those left from an earlier
                # one go after the declaration's ceiling, as a technical lifetime.
                if declaration.lifetime is not None:
                    found.append(_from_declaration(declaration, None, None))
                continue
            rule = _rule(manifest, activity, declaration.record)
            if isinstance(rule, str):
                missing.append(Unruled(declaration.label, rule))
                continue
            found.append(_from_declaration(declaration, rule, activity))
        elif declaration.kind == "technical":
            found.append(_from_declaration(declaration, None, None))
    found.append(Category(model=Person, kind="identity", person=""))
    return found, missing


def _from_registration(registration: Registration, rule: RetentionRule) -> Category:
    return Category(
        model=registration.model,
        kind="rule",
        activity=registration.activity,
        record=registration.record,
        rule=rule,
        timestamp=registration.timestamp,
        person=registration.person,
        erase=registration.erase,
        fields=registration.fields,
        until=registration.until,
    )


def _from_declaration(
    declaration: Declaration, rule: RetentionRule | None, activity: str | None
) -> Category:
    return Category(
        model=declaration.model,
        kind="rule" if rule is not None else "technical",
        activity=activity,
        record=declaration.record if activity is not None else None,
        rule=rule,
        timestamp=declaration.timestamp,
        expires=declaration.expires,
        lifetime=declaration.lifetime,
        only=declaration.only,
        purge=declaration.purge,
        because=declaration.because,
    )


def _published() -> tuple[int, Manifest]:
    from gardien.policy import services as policy

    current = policy.published()
    if current is None:
        raise PurgeRefused(
            _(
                "No policy is published, so there is no rule to apply yet: run "
                "`gardien policy publish` first."
            )
        )
    return current.number, current.manifest


def _selected(manifest: Manifest, only: str | None) -> list[Category]:
    found, _missing = categories(manifest)
    if only is None:
        return found
    known = {c.activity for c in found if c.activity}
    if only not in known:
        raise PurgeRefused(
            _('"%(only)s" is not an activity with stored data; use one of: %(known)s.')
            % {"only": only, "known": ", ".join(sorted(known))}
        )
    return [c for c in found if c.activity == only]


# --- the forecast -----------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    category: Category
    due_now: int
    held_now: int
    ahead: dict[int, int]  # days from now -> rows due by then (due now included)


def forecast(
    now: dt.datetime | None = None, *, days: Iterable[int] = (30, 90), only: str | None = None
) -> list[Forecast]:
    """What is due now and what will be due in each of ``days``, per category. Read-only; a
    future last contact may keep a row longer than this shows."""
    moment = now or clock.now()
    _number, manifest = _published()
    rows = []
    for category in _selected(manifest, only):
        rows.append(
            Forecast(
                category=category,
                due_now=category.count_due(moment),
                held_now=category.held_count(moment),
                ahead={d: category.count_due(moment + dt.timedelta(days=d)) for d in days},
            )
        )
    return rows


# --- the run ----------------------------------------------------------------------------


@dataclass
class Outcome:
    category: Category
    count: int = 0
    held: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class Report:
    run: PurgeRun | None
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    @property
    def removed(self) -> int:
        return sum(o.count for o in self.outcomes)

    @property
    def held(self) -> int:
        return sum(o.held for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]


Progress = Callable[[Category, int, int], None]  # (category, done so far, total due)


def batch_size() -> int:
    return int(getattr(settings, "GARDIEN_PURGE_BATCH", 1000))  # settings pick it per database


def run(
    now: dt.datetime | None = None,
    *,
    trigger: str = PurgeRun.Trigger.COMMAND,
    only: str | None = None,
    progress: Progress | None = None,
    batch: int | None = None,
) -> Report:
    """Remove everything due at ``now`` and write the receipts. Raises :class:`PurgeRefused`
    when another purge holds the lease or no policy is published."""
    moment = now or clock.now()
    number, manifest = _published()
    chosen = _selected(manifest, only)
    holder = uuid.uuid4().hex
    with periodic.lease(LEASE, holder=holder, timeout=LEASE_TIMEOUT) as taken:
        if not taken:
            raise PurgeRefused(
                _(
                    "Another purge is running (the worker's daily job or another "
                    "`gardien purge`); nothing was done. Try again when it has finished."
                )
            )
        lease = _Lease(holder)
        with clock.frozen(moment):  # what the purge sets off (a withdrawal) is dated then
            return _run(moment, number, chosen, trigger, progress, batch or batch_size(), lease)


class _Lease:
    """Keeps the purge's lease while batches go by."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        self.renewed = time.monotonic()

    def keep(self) -> None:
        if time.monotonic() - self.renewed >= LEASE_RENEW_SECONDS:
            periodic.renew(LEASE, holder=self.holder, timeout=LEASE_TIMEOUT)
            self.renewed = time.monotonic()


def _run(
    now: dt.datetime,
    number: int,
    chosen: list[Category],
    trigger: str,
    progress: Progress | None,
    batch: int,
    lease: _Lease | None = None,
) -> Report:
    run_row = PurgeRun.objects.create(started_at=now, trigger=trigger, policy_version=number)
    report = Report(run=run_row)
    for category in chosen:
        if stop.requested():
            report.interrupted = True
            break
        outcome = Outcome(category)
        started = time.monotonic()
        try:
            outcome.held = category.held_count(now)
            if category.purge is not None:
                outcome.count = int(_purger(category.purge)(category._purge_instant(now), False))
            else:
                report.interrupted |= _remove(category, now, batch, progress, outcome, lease)
        except Exception as exc:  # one category failing must not stop the others
            # The batches committed before it stay counted; the message names no value
            # (the exception's class and the database's sentence about the table).
            outcome.error = f"{type(exc).__name__}: {exc}"[:300]
            logger.warning(
                "Retention rule for %s failed after %d rows (%s); the others go on.",
                category.key,
                outcome.count,
                type(exc).__name__,
            )
        outcome.seconds = time.monotonic() - started
        report.outcomes.append(outcome)
        with translation.override("en"):  # receipts are written in one language
            rule_text = category.rule_text[:200]
        PurgeReceipt.objects.create(
            run=run_row,
            category=category.key,
            activity=category.activity or "",
            record=category.record or "",
            rule=rule_text,
            outcome=category.outcome,
            count=outcome.count,
            held=outcome.held,
            duration_ms=min(int(outcome.seconds * 1000), 2**31 - 1),
        )
        if report.interrupted:
            break
    with transaction.atomic():
        PurgeRun.objects.filter(pk=run_row.pk).update(
            finished_at=clock.now(),
            removed=report.removed,
            held=report.held,
            interrupted=report.interrupted,
        )
        record(
            actor=Actor.system(),
            action="purge",
            target_type=PurgeRun._meta.label_lower,
            target_ref=str(run_row.pk),
            reason=(
                f"retention: {report.removed} removed, {report.held} held, "
                f"{len(report.outcomes)} rules"
                + (", interrupted" if report.interrupted else "")
                + (f", {len(report.failed)} failed" if report.failed else "")
            ),
        )
    run_row.refresh_from_db()
    return report


def _remove(
    category: Category,
    now: dt.datetime,
    batch: int,
    progress: Progress | None,
    outcome: Outcome,
    lease: _Lease | None = None,
) -> bool:
    """Remove the due rows of one category in batches, counting them in ``outcome`` as each
    batch commits; True when a stop came before the end."""
    total = category.removable(now).count() if progress is not None else 0
    if progress is not None:
        progress(category, 0, total)
    # Built once: the due condition (and the month-end rows checked one by one) does not
    # change during the run, rows only leave it.
    plain = category.removable(now).order_by().values("pk") if _plain(category) else None
    while True:
        if stop.requested():
            return True
        if lease is not None:
            lease.keep()
        if plain is not None:
            # Rows about no one, with nothing to tell anyone: one statement per batch,
            # DELETE … WHERE pk IN (SELECT pk … due … LIMIT n), as a bare purge would do.
            with transaction.atomic():
                removed, _per_model = category.model._default_manager.filter(
                    pk__in=models.Subquery(plain[:batch])
                ).delete()
            if removed == 0:
                return False
            outcome.count += removed
            if progress is not None:
                progress(category, outcome.count, max(total, outcome.count))
            continue
        # Chosen outside the transaction (a reader does not hold the writers up); the
        # condition is checked again inside it.
        due = category.due(now)
        held = category.held()
        query = category.removable(now).order_by()
        if category.erase == "anonymise" and category.encrypted:
            pks = category.not_yet_anonymised(query)[:batch]
        else:
            pks = list(query.values_list("pk", flat=True)[:batch])
        if not pks:
            return False
        with transaction.atomic():
            still = category.rows().filter(pk__in=pks).filter(due)
            if held is not None:
                still = still.exclude(held)
            removed = _remove_batch(category, still)
        if removed == 0:  # nothing of the batch was still due: it changed under us
            return False
        outcome.count += removed
        if progress is not None:
            progress(category, outcome.count, max(total, outcome.count))


def _plain(category: Category) -> bool:
    """Rows deleted as they are: about no one, no signal to send, nothing that cascades."""
    from django.db.models.signals import post_delete, pre_delete

    model = category.model
    return (
        category.kind != "identity"
        and category.person is None
        and category.erase == "delete"
        and not pre_delete.has_listeners(model)
        and not post_delete.has_listeners(model)
        and not removing.has_listeners(model)
        and not any(not r.hidden or r.field.many_to_many for r in model._meta.related_objects)
    )


def _remove_batch(category: Category, still: Any) -> int:
    model = category.model
    if category.erase == "anonymise":
        if category.encrypted:
            still = model._default_manager.filter(pk__in=category.not_yet_anonymised(still))
        values = {name: _blank_value(model, name) for name in category.fields}
        person = category.person
        if person and "__" not in person and model._meta.get_field(person).null:
            values[person] = None  # the stub no longer points at the person
        return int(still.update(**values))
    person_ids: list[Any] = []
    if category.person and category.activity:
        person_ids = [p for p in still.values_list(f"{category.person}__pk", flat=True) if p]
    if category.kind == "rule" and category.person is not None:
        vault.expiring.send(sender=model, queryset=still)
    if category.kind == "identity":
        count = still.count()
        Person.objects.filter(pk__in=list(still.values_list("pk", flat=True))).delete()
        return count
    removing.send(sender=model, queryset=still)
    count, per_model = still.delete()
    if category.activity and person_ids:
        vault.forget_last_contacts(category.activity, list(set(person_ids)))
    return int(per_model.get(model._meta.label, count))


# --- the worker's daily job -------------------------------------------------------------


def scheduled_hour() -> int:
    return int(getattr(settings, "GARDIEN_PURGE_HOUR", 3))


def last_scheduled(now: dt.datetime) -> dt.datetime:
    """The latest instant at or before ``now`` when the daily purge was due."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    slot = local.replace(hour=scheduled_hour(), minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= dt.timedelta(days=1)
    return slot.astimezone(dt.UTC)


def run_if_scheduled() -> Report | None:
    """Run the purge once per day, at ``GARDIEN_PURGE_HOUR`` (local time) or the first turn
    of the worker after it; nothing when no policy is published or a run already happened."""
    now = clock.now()
    since = last_scheduled(now)
    done = PurgeRun.objects.filter(
        started_at__gte=since, started_at__lte=now, finished_at__isnull=False, interrupted=False
    )
    if done.exists():  # a run stopped by a signal or a crash is taken up again
        return None
    try:
        report = run(now, trigger=PurgeRun.Trigger.WORKER)
    except PurgeRefused as exc:
        logger.info("Daily retention purge not run: %s", exc)
        return None
    logger.info(
        "Daily retention purge: %d rows removed, %d held, %d rules%s.",
        report.removed,
        report.held,
        len(report.outcomes),
        f", {len(report.failed)} failed" if report.failed else "",
    )
    return report


__all__ = [
    "Category",
    "Forecast",
    "PurgeRefused",
    "Report",
    "categories",
    "forecast",
    "run",
    "run_if_scheduled",
]
