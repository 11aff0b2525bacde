from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gardien.audit.models import AuditCheckpoint, AuditEntry
from gardien.audit.services import (
    PURGE_ACTION,
    Actor,
    AuditLogBroken,
    purge_before,
    purge_plan,
    verify,
)
from gardien.audit.signing import AuditKeyError
from gardien.lib import clock

# Who a purge run from the command line is recorded as.
COMMAND_ACTOR = Actor("system", "command")


class Command(BaseCommand):
    help = (
        "Looks after the audit log, the tamper-evident record of every change made to personal "
        "data, signed with GARDIEN_AUDIT_KEYS. `verify` checks that no entry or checkpoint was "
        "edited, removed, inserted or forged and that the log reaches the highest position ever "
        "written, and names the first break (exit status 1 if any); `show` prints the latest "
        "entries; `purge` deletes the entries older than a date, keeping a signed checkpoint so "
        "the rest can still be verified, and records itself in the log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{verify,show,purge}")
        sub.add_parser(
            "verify",
            help="check that the audit log was not tampered with",
            description=(
                "Check the purge checkpoints, then every entry of the audit log from the last "
                "checkpoint on, up to the highest position ever written. Prints the first entry "
                "that was edited, removed, inserted or forged and exits with status 1, or "
                "confirms the log is intact."
            ),
        )
        show = sub.add_parser(
            "show",
            help="print the latest entries",
            description="Print the latest audit entries, oldest first, one per line.",
        )
        show.add_argument(
            "--last",
            type=int,
            default=20,
            metavar="N",
            help="how many entries to print (default: 20)",
        )
        purge = sub.add_parser(
            "purge",
            help="delete the entries older than a date",
            description=(
                "Delete the audit entries older than --before, from the oldest on, and keep a "
                "signed checkpoint (the position and hash of the last deleted entry) so the "
                "remaining log still verifies; then record the purge itself as an entry, dated "
                "with the real time. Nothing is deleted if the entries to delete are not intact."
            ),
        )
        purge.add_argument(
            "--before",
            required=True,
            metavar="DATE",
            help="delete entries older than this date, e.g. 2025-03-01",
        )
        purge.add_argument(
            "--now",
            default=None,
            metavar="DATE",
            help=(
                "act as if today were this date (tests and rehearsals; the checkpoint and the "
                "purge's entry keep it apart from the real time; never later than today in "
                "production)"
            ),
        )
        purge.add_argument(
            "--dry-run",
            action="store_true",
            help="only say how many entries would be deleted",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self.verify()
        elif options["action"] == "show":
            self.show(options["last"])
        else:
            self.purge(options["before"], options["now"], options["dry_run"])

    def verify(self) -> None:
        def progress(checked: int) -> None:
            if checked % 100_000 == 0:
                self.stdout.write(f"  {checked} entries checked…")

        try:
            result = verify(progress=progress)
        except AuditKeyError as exc:
            raise CommandError(str(exc)) from None
        if not result.ok:
            self.stderr.write(f"Audit log broken at position {result.broken_at}: {result.problem}.")
            sys.exit(1)
        if result.last_position is not None:
            self.stdout.write(
                f"Latest entry: position {result.last_position}, hash {result.last_hash}."
            )
        start = (
            f" (from checkpoint at position {result.checkpoint_position})"
            if result.checkpoint_position is not None
            else ""
        )
        self.stdout.write(f"Audit log intact: {result.checked} entries checked{start}.")

    def show(self, last: int) -> None:
        if last < 1:
            raise CommandError("--last must be at least 1, e.g. --last 50.")
        entries = list(AuditEntry.objects.order_by("-position")[:last])
        for entry in reversed(entries):
            at = timezone.localtime(entry.at).isoformat(sep=" ", timespec="seconds")
            target = (
                f"{entry.target_type}:{entry.target_ref}" if entry.target_ref else entry.target_type
            )
            reason = f"  — {entry.reason}" if entry.reason else ""
            self.stdout.write(
                f"#{entry.position}  {at}  {entry.actor_kind}:{entry.actor_ref}  "
                f"{entry.action}  {target}{reason}"
            )
        if not entries:
            self.stdout.write("The audit log is empty.")
        else:
            self.stdout.write(
                f"Showed the last {len(entries)} of {AuditEntry.objects.count()} audit entries."
            )

    def purge(self, before: str, now: str | None, dry_run: bool) -> None:
        try:
            instant = clock.parse_instant(before)
            at = clock.parse_instant(now) if now else clock.now()
        except clock.ClockError as exc:
            raise CommandError(str(exc)) from None
        if settings.PRODUCTION and at > dt.datetime.now(dt.UTC):
            raise CommandError(
                f"--now {now} is in the future: refused in production, where the audit log's "
                "dates must be real. Leave --now out."
            )
        if instant > at:
            raise CommandError(
                f"--before {before} is in the future: that would delete entries being written "
                "now. Give a past date, e.g. the start of the retention period."
            )
        when = instant.isoformat()
        with clock.frozen(at):
            if dry_run:
                plan = purge_plan(instant)
                if not plan.count:
                    self.stdout.write(f"No audit entry is older than {when}: nothing to purge.")
                else:
                    self.stdout.write(
                        f"Would purge {plan.count} audit entries older than {when}; checkpoint "
                        f"would be kept at position {plan.last_position}. "
                        "(Dry run: nothing deleted.)"
                    )
                return
            try:
                count = purge_before(instant, actor=COMMAND_ACTOR)
            except (AuditLogBroken, AuditKeyError) as exc:
                raise CommandError(str(exc)) from None
        if not count:
            self.stdout.write(f"No audit entry is older than {when}: nothing purged.")
            return
        checkpoint = AuditCheckpoint.objects.order_by("-position").first()
        entry = AuditEntry.objects.order_by("-position").filter(action=PURGE_ACTION).first()
        assert checkpoint is not None and entry is not None
        self.stdout.write(
            f"Purged {count} audit entries older than {when}; checkpoint kept at position "
            f"{checkpoint.position}; the purge is recorded as entry {entry.position}."
        )
