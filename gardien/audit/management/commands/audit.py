from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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
from gardien.lib import clock, when
from gardien.lib.command import GardienCommand, InputError

# Who a purge run from the command line is recorded as.
COMMAND_ACTOR = Actor("system", "command")


class Command(GardienCommand):
    help = gettext_lazy(
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
            help=_("check that the audit log was not tampered with"),
            description=_(
                "Check the purge checkpoints, then every entry of the audit log from the last "
                "checkpoint on, up to the highest position ever written. Prints the first entry "
                "that was edited, removed, inserted or forged and exits with status 1, or "
                "confirms the log is intact."
            ),
        )
        show = sub.add_parser(
            "show",
            help=_("print the latest entries"),
            description=_("Print the latest audit entries, oldest first, one per line."),
        )
        show.add_argument(
            "--last",
            type=int,
            default=20,
            metavar="N",
            help=_("how many entries to print (default: 20)"),
        )
        purge = sub.add_parser(
            "purge",
            help=_("delete the entries older than a date"),
            description=_(
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
            help=_("delete entries older than this date, e.g. 2025-03-01"),
        )
        purge.add_argument(
            "--now",
            default=None,
            metavar="DATE",
            help=_(
                "act as if today were this date (tests and rehearsals; the checkpoint and the "
                "purge's entry keep it apart from the real time; never later than today in "
                "production)"
            ),
        )
        purge.add_argument(
            "--dry-run",
            action="store_true",
            help=_("only say how many entries would be deleted"),
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
                self.stdout.write(_("  %(count)d entries checked…") % {"count": checked})

        try:
            result = verify(progress=progress)
        except AuditKeyError as exc:
            raise CommandError(str(exc)) from None
        if not result.ok:
            self.stderr.write(
                _("Audit log broken at position %(position)s: %(problem)s.")
                % {"position": result.broken_at, "problem": result.problem}
            )
            sys.exit(1)
        if result.last_position is not None:
            self.stdout.write(
                _("Latest entry: position %(position)s, hash %(hash)s.")
                % {"position": result.last_position, "hash": result.last_hash}
            )
        if result.checkpoint_position is not None:
            self.stdout.write(
                ngettext(
                    "Audit log intact: %(count)d entry checked (from checkpoint at position "
                    "%(position)s).",
                    "Audit log intact: %(count)d entries checked (from checkpoint at position "
                    "%(position)s).",
                    result.checked,
                )
                % {"count": result.checked, "position": result.checkpoint_position}
            )
        else:
            self.stdout.write(
                ngettext(
                    "Audit log intact: %(count)d entry checked.",
                    "Audit log intact: %(count)d entries checked.",
                    result.checked,
                )
                % {"count": result.checked}
            )

    def show(self, last: int) -> None:
        if last < 1:
            raise InputError(_("--last must be at least 1, e.g. --last 50."))
        entries = list(AuditEntry.objects.order_by("-position")[:last])
        for entry in reversed(entries):
            at = when.text(entry.at, seconds=True)
            target = (
                f"{entry.target_type}:{entry.target_ref}" if entry.target_ref else entry.target_type
            )
            reason = f"  — {entry.reason}" if entry.reason else ""
            self.stdout.write(
                f"#{entry.position}  {at}  {entry.actor_kind}:{entry.actor_ref}  "
                f"{entry.action}  {target}{reason}"
            )
        if not entries:
            self.stdout.write(_("The audit log is empty."))
        else:
            self.stdout.write(
                _("Showed the last %(shown)d of %(count)d audit entries.")
                % {"shown": len(entries), "count": AuditEntry.objects.count()}
            )

    def purge(self, before: str, now: str | None, dry_run: bool) -> None:
        try:
            instant = _day_start(before) or clock.parse_instant(before)
            at = clock.parse_instant(now) if now else clock.now()
        except clock.ClockError as exc:
            raise InputError(str(exc)) from None
        if settings.PRODUCTION and at > dt.datetime.now(dt.UTC):
            raise InputError(
                _(
                    "--now %(now)s is in the future: refused in production, where the audit "
                    "log's dates must be real. Leave --now out."
                )
                % {"now": now}
            )
        if instant > at:
            raise InputError(
                _(
                    "--before %(before)s is in the future: that would delete entries being "
                    "written now. Give a past date, e.g. the start of the retention period."
                )
                % {"before": before}
            )
        cutoff = when.text(instant)
        with clock.frozen(at):
            if dry_run:
                plan = purge_plan(instant)
                if not plan.count:
                    self.stdout.write(
                        _("No audit entry is older than %(cutoff)s: nothing to purge.")
                        % {"cutoff": cutoff}
                    )
                else:
                    self.stdout.write(
                        _(
                            "Would purge %(count)d audit entries older than %(cutoff)s; "
                            "checkpoint would be kept at position %(position)s. (Dry run: "
                            "nothing deleted.)"
                        )
                        % {"count": plan.count, "cutoff": cutoff, "position": plan.last_position}
                    )
                return
            try:
                count = purge_before(instant, actor=COMMAND_ACTOR)
            except (AuditLogBroken, AuditKeyError) as exc:
                raise CommandError(str(exc)) from None
        if not count:
            self.stdout.write(
                _("No audit entry is older than %(cutoff)s: nothing purged.") % {"cutoff": cutoff}
            )
            return
        checkpoint = AuditCheckpoint.objects.order_by("-position").first()
        entry = AuditEntry.objects.order_by("-position").filter(action=PURGE_ACTION).first()
        assert checkpoint is not None and entry is not None
        self.stdout.write(
            _(
                "Purged %(count)d audit entries older than %(cutoff)s; checkpoint kept at "
                "position %(position)s; the purge is recorded as entry %(entry)s."
            )
            % {
                "count": count,
                "cutoff": cutoff,
                "position": checkpoint.position,
                "entry": entry.position,
            }
        )


def _day_start(text: str) -> dt.datetime | None:
    """A bare day (2025-03-01) starts at midnight in the organisation's zone, as the DPO means
    it; a date and time is read as written (see clock.parse_instant)."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))
