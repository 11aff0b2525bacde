"""The retention purge at the boundary a DPO touches: `gardien purge`, its receipts, the
worker's daily job, with the clock moved to each rule's boundary."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from gardien.antispam.models import CountedSubmission, UsedChallenge
from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor, record
from gardien.backoffice.models import LoginAttempt
from gardien.consent.models import ConsentRecord, ShownConfiguration
from gardien.contact.models import ContactMessage
from gardien.lib import clock, crypto
from gardien.manifest.retention import parse_rule
from gardien.newsletter.models import (
    ConsentProof,
    PendingSignup,
    ProcessorSync,
    Subscription,
    WebhookEvent,
)
from gardien.processors import periodic
from gardien.processors.models import OutboxItem
from gardien.retention import engine
from gardien.retention.models import PurgeReceipt, PurgeRun
from gardien.vault import services as vault
from gardien.vault.models import LastContact, Person, Restriction
from tests.english import english  # noqa: F401

T = dt.datetime(2026, 1, 31, 10, 0, tzinfo=dt.UTC)  # the end of a month, on purpose
DAY = dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def years(n: int) -> Callable[[dt.datetime], dt.datetime]:
    return lambda at: at.replace(year=at.year + n, day=min(at.day, 28) if at.month == 2 else at.day)


def months(n: int) -> Callable[[dt.datetime], dt.datetime]:
    from gardien.lib.months import add_months

    return lambda at: add_months(at, n)


def days(n: int) -> Callable[[dt.datetime], dt.datetime]:
    return lambda at: at + dt.timedelta(days=n)


def person(email: str = "ada@example.org", at: dt.datetime = T) -> Person:
    with clock.frozen(at):
        found, _ = vault.get_or_create_person(email, actor=Actor.system())
    return found


# --- one row per category, anchored at ``at`` --------------------------------------------


def contact_message(at: dt.datetime) -> Any:
    who = person(at=at)
    message = ContactMessage.objects.create(
        person=who, answers="{}", lang="fr", policy_version=1, received_at=at, filed_at=at
    )
    vault.touch(who, "contact", at)
    return message


def subscription(at: dt.datetime, email: str = "ada@example.org") -> Subscription:
    who = person(email, at=at)
    proof = ConsentProof.objects.create(
        person=who,
        email_hash=crypto.blind_index(email),
        lang="fr",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        signed_up_at=at,
        confirmed_at=at,
    )
    found = Subscription.objects.create(person=who, lang="fr", proof=proof, confirmed_at=at)
    vault.touch(who, "newsletter", at)
    return found


def withdrawn_proof(at: dt.datetime) -> ConsentProof:
    return ConsentProof.objects.create(
        email_hash=crypto.blind_index("ada@example.org"),
        lang="fr",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        signed_up_at=at - DAY,
        confirmed_at=at - DAY,
        withdrawn_at=at,
        withdrawn_how="one-click",
    )


def pending(at: dt.datetime) -> PendingSignup:
    return PendingSignup.objects.create(
        email="ada@example.org",
        lang="fr",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        created_at=at,
        expires_at=at + dt.timedelta(days=7),
    )


def consent_record(at: dt.datetime) -> ConsentRecord:
    row = ConsentRecord(
        consent_id=secrets.token_urlsafe(16),
        recorded_at=at,
        action="accept_all",
        decisions={},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
    )
    row.save()
    return row


def shown_configuration(at: dt.datetime) -> ShownConfiguration:
    return ShownConfiguration.objects.create(
        hash="b" * 64, version=0, lang="fr", body="{}", first_served_at=at
    )


def audit_entry(at: dt.datetime) -> AuditEntry:
    with clock.frozen(at):
        return record(actor=Actor.system(), action="view", target_type="x", target_ref="1")


def outbox_item(at: dt.datetime) -> OutboxItem:
    return OutboxItem.objects.create(
        task_path="gardien.x", state="done", created_at=at, updated_at=at
    )


def task_result(at: dt.datetime) -> DBTaskResult:
    from django.utils import timezone

    return DBTaskResult.objects.create(
        status="SUCCESSFUL",
        args_kwargs={"args": [], "kwargs": {}},
        priority=0,
        task_path="gardien.x",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        enqueued_at=at,
        started_at=at,
        finished_at=at,
    )


def purge_run(at: dt.datetime) -> PurgeRun:
    return PurgeRun.objects.create(started_at=at, trigger="command", policy_version=1)


def used_challenge(at: dt.datetime) -> UsedChallenge:
    return UsedChallenge.objects.create(digest="c" * 64, expires_at=at)


def webhook_event(at: dt.datetime) -> WebhookEvent:
    return WebhookEvent.objects.create(digest="d" * 64, received_at=at)


def session(at: dt.datetime) -> Session:
    return Session.objects.create(session_key="k" * 32, session_data="", expire_date=at)


def login_attempt(at: dt.datetime) -> LoginAttempt:
    return LoginAttempt.objects.create(key="e" * 64, failures=1, last_failure_at=at)


def counted(at: dt.datetime) -> CountedSubmission:
    return CountedSubmission.objects.create(scope="contact", address_key="f" * 64, counted_at=at)


# (what, how to make it, when it falls due from its anchor, still there?)
CASES: list[tuple[str, Callable[[dt.datetime], Any], Callable[[dt.datetime], dt.datetime]]] = [
    ("contact message, 3 years after last contact", contact_message, years(3)),
    ("subscriber, 3 years after last contact", subscription, years(3)),
    ("pending sign-up, 7 days after created", pending, days(7)),
    ("consent proof (banner), 25 months after given", consent_record, months(25)),
    ("banner configuration no proof names, 25 months", shown_configuration, months(25)),
    ("audit entry, 12 months after recorded", audit_entry, months(12)),
    ("outbox item, 3 months after recorded", outbox_item, months(3)),
    ("task result, 3 months after finished", task_result, months(3)),
    ("retention receipts, 5 years", purge_run, years(5)),
    ("used challenge, until its expiry", used_challenge, days(0)),
    ("webhook event, 7 days", webhook_event, days(7)),
    ("session, until its expiry", session, days(0)),
    ("login attempt, 1 day", login_attempt, days(1)),
    ("counted submission, 10 minutes", counted, lambda at: at + dt.timedelta(minutes=10)),
]


def exists(row: Any) -> bool:
    return type(row)._default_manager.filter(pk=row.pk).exists()


@pytest.fixture
def published_before_t(db: Any) -> Any:
    """The Coopo manifest published the day before T: its publication's audit entry comes
    first in the chain, which the purge only ever cuts from its start, so it must not be
    newer than the entries a case makes at T."""
    from gardien.policy.services import publish
    from tests.conftest import COOPO

    with clock.frozen(T - DAY):
        return publish(COOPO, note="First version")


@pytest.mark.parametrize(("what", "make", "due"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_of_coopo_keeps_the_day_before_and_removes_the_day_after(
    published_before_t: Any, what: str, make: Callable[[dt.datetime], Any], due: Any
) -> None:
    row = make(T)
    moment = due(T)

    engine.run(moment - DAY)
    assert exists(row), f"{what}: removed a day before it was due"
    engine.run(moment - dt.timedelta(seconds=1))
    assert exists(row), f"{what}: removed a second before it was due"

    engine.run(moment + DAY)
    assert not exists(row), f"{what}: still there a day after it was due"


def test_an_opt_in_proof_is_anonymised_five_years_after_the_withdrawal(published: Any) -> None:
    proof = withdrawn_proof(T)

    engine.run(years(5)(T) - DAY)
    proof.refresh_from_db()
    assert proof.email_hash

    report = engine.run(years(5)(T) + DAY)
    proof.refresh_from_db()
    assert proof.email_hash == ""  # the stub stays: when, which text, no address
    assert proof.withdrawn_at == T
    receipt = report.run.receipts.get(category="newsletter.consentproof")  # type: ignore[union-attr]
    assert (receipt.count, receipt.outcome) == (1, "anonymised")

    again = engine.run(years(5)(T) + 2 * DAY)
    assert again.run.receipts.get(category="newsletter.consentproof").count == 0  # type: ignore[union-attr]


def test_a_month_end_counts_as_the_calendar_says(published: Any) -> None:
    """Given 31 January, "1 month" ends on the last day of February: the engine agrees with
    the rule's own arithmetic for every anchor around a month's end."""
    rule = engine.Category(
        model=ConsentRecord,
        kind="rule",
        activity="consent",
        rule=parse_rule("1 month after given"),
        timestamp="recorded_at",
    )
    anchors = [
        dt.datetime(2026, 1, d, h, tzinfo=dt.UTC) for d in range(26, 32) for h in (0, 9, 10, 11)
    ]
    rows = {consent_record(at).pk: at for at in anchors}
    for now in (
        dt.datetime(2026, 2, 28, 10, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 27, 23, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 0, tzinfo=dt.UTC),
    ):
        due = set(ConsentRecord.objects.filter(rule.due(now)).values_list("pk", flat=True))
        period = rule.rule.longest  # type: ignore[union-attr]
        expected = {pk for pk, at in rows.items() if period.after(at) <= now}  # type: ignore[union-attr]
        assert due == expected, now


def test_a_later_contact_keeps_contact_messages_longer(published: Any) -> None:
    message = contact_message(T)
    vault.touch(message.person, "contact", T + dt.timedelta(days=400))

    engine.run(years(3)(T) + DAY)
    assert exists(message)

    engine.run(years(3)(T + dt.timedelta(days=400)) + DAY)
    assert not exists(message)
    assert not Person.objects.filter(pk=message.person_id).exists()  # nothing else kept


def test_a_subscriber_without_a_sign_of_life_leaves_brevo_in_the_same_transaction(
    published: Any, fake_brevo: Any, settings: Any
) -> None:
    settings.GARDIEN_BREVO_API_KEY = "key"
    settings.GARDIEN_BREVO_LIST_ID = 7
    settings.GARDIEN_BREVO_BASE_URL = fake_brevo.url
    found = subscription(T)
    proof = found.proof
    ProcessorSync.objects.all().delete()
    OutboxItem.objects.all().delete()

    engine.run(years(3)(T) + DAY)

    assert not Subscription.objects.exists()
    proof.refresh_from_db()
    assert (proof.withdrawn_how, proof.person_id) == ("retention", None)
    assert proof.withdrawn_at == years(3)(T) + DAY
    wanted = ProcessorSync.objects.get()
    assert wanted.wanted == ProcessorSync.Wanted.ABSENT
    assert OutboxItem.objects.filter(task_path__endswith="sync_processor").count() == 1
    assert not Person.objects.exists()  # the proof keeps only a keyed hash


@pytest.mark.parametrize(
    ("ground", "held"),
    [
        (Restriction.Ground.LEGAL_CLAIMS, True),
        (Restriction.Ground.UNLAWFUL, True),
        (Restriction.Ground.ACCURACY, False),
        (Restriction.Ground.OBJECTION, False),
    ],
)
def test_a_restriction_that_stops_erasure_holds_the_data_and_the_receipt_counts_it(
    published: Any, ground: str, held: bool
) -> None:
    message = contact_message(T)
    vault.restrict(
        message.person, actor=Actor.system(), reason="R-1", activity="contact", ground=ground
    )

    report = engine.run(years(3)(T) + DAY)

    receipt = report.run.receipts.get(category="contact.contactmessage")  # type: ignore[union-attr]
    assert exists(message) is held
    assert (receipt.count, receipt.held) == ((0, 1) if held else (1, 0))

    if held:
        vault.lift_restriction(
            message.person, actor=Actor.system(), reason="R-2", activity="contact"
        )
        engine.run(years(3)(T) + 2 * DAY)
        assert not exists(message)


def test_a_restriction_of_another_activity_holds_nothing_here(published: Any) -> None:
    message = contact_message(T)
    vault.restrict(
        message.person,
        actor=Actor.system(),
        reason="R-1",
        activity="newsletter",
        ground=Restriction.Ground.LEGAL_CLAIMS,
    )
    engine.run(years(3)(T) + DAY)
    assert not exists(message)


def test_a_run_leaves_one_receipt_per_rule_and_an_audit_entry(published: Any) -> None:
    contact_message(T)
    consent_record(T)
    now = years(3)(T) + DAY

    report = engine.run(now)

    run = PurgeRun.objects.get(pk=report.run.pk)  # type: ignore[union-attr]
    found, _missing = engine.categories(published_manifest())
    assert run.receipts.count() == len(found)
    counts = dict(run.receipts.values_list("category", "count"))
    assert counts["contact.contactmessage"] == 1
    assert counts["consent.consentrecord"] == 1
    assert counts["vault.person"] == 1
    assert (run.removed, run.held, run.interrupted) == (report.removed, 0, False)
    assert run.finished_at is not None
    receipt = run.receipts.get(category="contact.contactmessage")
    assert (receipt.activity, receipt.rule) == ("contact", "3 years after last_contact")
    entry = AuditEntry.objects.filter(action="purge").get()
    assert entry.target_ref == str(run.pk)
    assert "@" not in "".join(run.receipts.values_list("rule", flat=True))


def test_a_second_run_removes_nothing(published: Any) -> None:
    contact_message(T)
    withdrawn_proof(T)
    consent_record(T)
    now = years(6)(T)

    first = engine.run(now)
    second = engine.run(now + dt.timedelta(seconds=1))

    assert first.removed >= 3
    assert second.removed == 0


def test_the_forecast_says_what_goes_in_30_and_90_days_and_changes_nothing(
    published: Any,
) -> None:
    consent_record(T)
    consent_record(T + dt.timedelta(days=60))
    now = months(25)(T) - dt.timedelta(days=10)

    rows = {r.category.key: r for r in engine.forecast(now)}

    ledger = rows["consent.consentrecord"]
    assert (ledger.due_now, ledger.ahead[30], ledger.ahead[90]) == (0, 1, 2)
    assert ConsentRecord.objects.count() == 2
    assert not PurgeRun.objects.exists()


def test_the_policy_page_the_register_and_the_purge_read_one_rule(
    client: Any, edited_manifest: Any
) -> None:
    from gardien.manifest import wording
    from gardien.policy.services import publish, published_manifest

    path = edited_manifest(
        ('retention = "25 months after given"', 'retention = "2 years after given"')
    )
    publish(path, note="shorter")
    rule = published_manifest().activity("consent").retention
    row = consent_record(T)

    page = client.get("/en/privacy/").content.decode()
    register = io.StringIO()
    call_command("register", "export", "--format", "json", "--language", "en", stdout=register)
    rows = {r.category.key: r for r in engine.forecast(years(2)(T) + DAY)}

    phrase = wording.rule(rule, "en")
    assert phrase in page and phrase in register.getvalue()
    assert wording.rule(parse_rule("25 months after given"), "en") not in page
    assert rows["consent.consentrecord"].category.rule is rule
    assert rows["consent.consentrecord"].due_now == 1
    engine.run(years(2)(T) - DAY)
    assert exists(row)
    engine.run(years(2)(T) + DAY)
    assert not exists(row)


def published_manifest() -> Any:
    from gardien.policy.services import published_manifest as current

    return current()


# --- the command -----------------------------------------------------------------------


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_one_line_per_rule_and_a_summary(published: Any) -> None:
    contact_message(T)

    out = purge("--now", (years(3)(T) + DAY).isoformat())

    lines = out.strip().splitlines()
    assert "contact messages: 1 deleted, 0 held (contact: 3 years after the last contact;" in out
    assert lines[-1].startswith("Purged ") and "across" in lines[-1]
    assert "@" not in out


def test_the_dry_run_changes_nothing_and_shows_the_forecast(published: Any) -> None:
    message = contact_message(T)

    out = purge("--dry-run", "--now", (years(3)(T) + DAY).isoformat())

    assert exists(message)
    assert not PurgeRun.objects.exists()
    line = next(line for line in out.splitlines() if line.startswith("contact messages"))
    assert line.split()[-4:] == ["1", "0", "1", "1"]
    assert "nothing was changed" in out.splitlines()[-1]


def test_only_applies_one_activity(published: Any) -> None:
    message = contact_message(T)
    ledger = consent_record(T)

    purge("--only", "consent", "--now", (years(3)(T) + DAY).isoformat())

    assert exists(message) and not exists(ledger)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--now", "yesterday"], "is not a date"),
        (["--only", "contacts"], '"contacts" is not an activity with stored data'),
        (["--batch", "0"], "--batch must be 1 or more"),
    ],
)
def test_bad_input_gets_a_sentence_and_changes_nothing(
    published: Any, args: list[str], says: str
) -> None:
    contact_message(T)
    with pytest.raises(CommandError, match=says):
        purge(*args)
    assert ContactMessage.objects.count() == 1
    assert not PurgeRun.objects.exists()


def test_without_a_published_policy_it_says_to_publish_first() -> None:
    with pytest.raises(CommandError, match="gardien policy publish"):
        purge()


def test_it_explains_itself_to_a_non_engineer() -> None:
    from django.core.management import load_command_class

    command = load_command_class("gardien.retention", "purge")
    text = command.create_parser("gardien", "purge").format_help()
    for words in ("retention period", "--dry-run", "held", "receipts", "cron"):
        assert words in text


# --- one purge at a time, every day ----------------------------------------------------


def test_a_purge_already_running_elsewhere_is_not_doubled(published: Any) -> None:
    with periodic.lease(engine.LEASE, holder="another", timeout=dt.timedelta(hours=1)) as taken:
        assert taken
        with pytest.raises(CommandError, match="Another purge is running"):
            purge()
    assert not PurgeRun.objects.exists()
    purge()
    assert PurgeRun.objects.count() == 1


def test_the_worker_runs_it_once_a_day_at_the_configured_hour(
    published: Any, settings: Any, run_worker: Any
) -> None:
    settings.GARDIEN_PURGE_HOUR = 3
    settings.TIME_ZONE = "Europe/Paris"
    message = contact_message(T)
    day = years(3)(T) + DAY

    at_two = day.replace(hour=1)  # 02:00 in Paris: yesterday's 03:00 slot is due
    run_worker(at_two)
    assert PurgeRun.objects.count() == 1 and not exists(message)
    run_worker(at_two + dt.timedelta(minutes=30))
    assert PurgeRun.objects.count() == 1  # nothing new before 03:00
    run_worker(day.replace(hour=2, minute=5))  # 03:05 in Paris
    assert PurgeRun.objects.count() == 2
    assert set(PurgeRun.objects.values_list("trigger", flat=True)) == {"worker"}


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_one_purge(published: Any) -> None:
    consent_record(T)
    now = months(26)(T)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        from django.db import connection

        try:
            start.wait()
            with clock.frozen(now):
                engine.run_if_scheduled()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    assert PurgeRun.objects.count() == 1
    assert PurgeReceipt.objects.filter(category="consent.consentrecord", count=1).count() == 1
    assert not ConsentRecord.objects.exists()


def test_a_stop_between_batches_keeps_every_finished_batch_whole(
    published: Any, monkeypatch: Any
) -> None:
    for i in range(25):
        consent_record(T + dt.timedelta(seconds=i))
    from gardien.lib import stop

    calls = {"n": 0}

    def stop_after_two(category: Any, done: int, total: int) -> None:
        if category.key == "consent.consentrecord" and done:
            calls["n"] += 1
            if calls["n"] == 2:
                stop.request()

    try:
        report = engine.run(months(26)(T), progress=stop_after_two, batch=10)
    finally:
        stop.clear()

    assert report.interrupted
    assert ConsentRecord.objects.count() == 5  # two whole batches of ten went, no part of one
    run = PurgeRun.objects.get()
    assert run.interrupted
    assert run.receipts.get(category="consent.consentrecord").count == 20
    assert engine.run(months(26)(T)).removed >= 5
    assert not ConsentRecord.objects.exists()


def test_a_rule_missing_from_the_manifest_fails_the_check(edited_manifest: Any) -> None:
    from gardien.manifest import load_path
    from gardien.retention.checks import retention_problems

    path = edited_manifest(('  id = "task_log"', '  id = "tasks"'))
    problems = retention_problems([], load_path(path))
    assert {p.id for p in problems} == {"gardien.E111"}
    assert any("task_log" in p.msg for p in problems)


def test_a_model_nobody_declared_fails_the_check() -> None:
    from types import SimpleNamespace

    from gardien.retention.checks import retention_problems

    # A stand-in, not a model: a model class would stay in the app registry for later tests.
    forgotten = SimpleNamespace(
        _meta=SimpleNamespace(label="testapp.Forgotten", label_lower="testapp.forgotten")
    )
    problems = retention_problems([forgotten], None)
    assert [p.id for p in problems] == ["gardien.E110"]
    assert "kept for ever" in problems[0].msg


def test_last_contacts_go_with_the_last_record_of_their_activity(published: Any) -> None:
    message = contact_message(T)
    subscription(T + dt.timedelta(days=800))  # the same person, still subscribed later

    engine.run(years(3)(T) + DAY)

    assert not exists(message)
    assert Person.objects.filter(pk=message.person_id).exists()
    assert list(
        LastContact.objects.filter(person_id=message.person_id).values_list("activity", flat=True)
    ) == ["newsletter"]


def test_a_rule_that_fails_half_way_keeps_its_count_and_the_others_go_on(
    published: Any, monkeypatch: Any
) -> None:
    for _ in range(25):
        contact_message(T)
    ledger = consent_record(T)
    real = engine._remove_batch
    calls = {"n": 0}

    def fail_on_the_third(category: Any, still: Any) -> int:
        if category.key == "contact.contactmessage":
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("disk full")
        return real(category, still)

    monkeypatch.setattr(engine, "_remove_batch", fail_on_the_third)

    with pytest.raises(CommandError, match="Some rules could not be applied"):
        purge("--batch", "10", "--now", (years(3)(T) + DAY).isoformat())

    run = PurgeRun.objects.get()
    assert run.receipts.get(category="contact.contactmessage").count == 20
    assert ContactMessage.objects.count() == 5
    assert not exists(ledger)  # the rules after it were applied
    assert "1 failed" in AuditEntry.objects.get(action="purge").reason


def test_an_interrupted_daily_run_is_taken_up_again(published: Any, run_worker: Any) -> None:
    consent_record(T)
    day = months(26)(T).replace(hour=12)
    PurgeRun.objects.create(
        started_at=day - dt.timedelta(hours=1),
        finished_at=day - dt.timedelta(hours=1),
        trigger="worker",
        policy_version=1,
        interrupted=True,
    )

    run_worker(day)

    assert PurgeRun.objects.count() == 2
    assert not ConsentRecord.objects.exists()


def test_a_lease_left_by_a_killed_purge_expires(published: Any) -> None:
    from django.utils import timezone

    from gardien.processors.models import PeriodicLock

    PeriodicLock.objects.create(
        name=engine.LEASE, holder="killed", locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    purge()
    assert PurgeRun.objects.count() == 1


def test_in_production_a_date_is_only_for_a_dry_run(published: Any, settings: Any) -> None:
    settings.PRODUCTION = True
    message = contact_message(T)
    with pytest.raises(CommandError, match="refused in production"):
        purge("--now", (years(4)(T)).isoformat())
    assert exists(message)
    assert "contact messages" in purge("--dry-run", "--now", years(4)(T).isoformat())
