from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.lib import clock, stop, when
from gardien.lib.command import GardienCommand, InputError
from gardien.lib.progress import Progress
from gardien.retention import engine
from gardien.retention.models import PurgeRun


class Command(GardienCommand):
    help = gettext_lazy(
        "Deletes (or anonymises) every piece of stored data whose retention period has ended, "
        "as the published privacy policy says: contact messages, subscribers, proofs of "
        "consent, logs and the rest, each by its own rule. Data kept because of a restriction "
        "(the person needs it for a legal claim, or opposed its erasure) stays and is counted "
        "as held. Each run leaves receipts (per rule: how many rows went, how many were held) "
        "that the back office shows. The worker already runs this every day; run it by hand "
        "or from cron if you do not run the worker. With --dry-run nothing is changed: it "
        "shows what is due now and in the next 30 and 90 days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("change nothing; show what is due now and in the next 30 and 90 days"),
        )
        parser.add_argument(
            "--now",
            default=None,
            metavar="DATE",
            help=_(
                "act as if today were this date, e.g. 2029-05-01 (rehearsals; use with "
                "--dry-run to see what a future date will remove)"
            ),
        )
        parser.add_argument(
            "--only",
            default=None,
            metavar="ACTIVITY",
            help=_("only apply the rules of this activity of the manifest, e.g. contact"),
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            metavar="N",
            help=_(
                "rows per transaction (default: GARDIEN_PURGE_BATCH, 250 on SQLite, "
                "5000 on PostgreSQL)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            now = clock.parse_instant(options["now"]) if options["now"] else clock.now()
        except clock.ClockError as exc:
            raise InputError(str(exc)) from None
        if options["now"] and not options["dry_run"] and settings.PRODUCTION:
            raise InputError(
                _(
                    "--now without --dry-run is refused in production: it would delete data "
                    "before its period ends. Add --dry-run to see what that date will remove."
                )
            )
        batch = options["batch"]
        if batch is not None and batch < 1:
            raise InputError(_("--batch must be 1 or more rows."))
        with clock.frozen(now):
            try:
                if options["dry_run"]:
                    self.dry_run(now, options["only"])
                else:
                    self.purge(now, options["only"], batch)
            except engine.PurgeRefused as exc:
                raise CommandError(str(exc)) from None

    def dry_run(self, now: Any, only: str | None) -> None:
        rows = engine.forecast(now, days=(30, 90), only=only)
        self.stdout.write(
            _("What the retention rules remove, as of %(when)s:") % {"when": when.text(now)}
        )
        header = "{:<30} {:<28} {:<40} {:>8} {:>6} {:>8} {:>8}".format(
            _("stored data"),
            _("rule from"),
            _("rule"),
            _("due now"),
            _("held"),
            _("30 days"),
            _("90 days"),
        )
        self.stdout.write(header)
        for row in rows:
            category = row.category
            self.stdout.write(
                f"{_short(category.name, 30):<30} {_short(category.where, 28):<28} "
                f"{_short(category.rule_words, 40):<40} "
                f"{row.due_now:>8} {row.held_now:>6} {row.ahead[30]:>8} {row.ahead[90]:>8}"
            )
        due = sum(r.due_now for r in rows)
        held = sum(r.held_now for r in rows)
        self.stdout.write(
            _(
                "Dry run: %(due)d rows are due now and %(held)d held by a restriction, across "
                "%(rules)d rules; nothing was changed."
            )
            % {"due": due, "held": held, "rules": len(rows)}
        )

    def purge(self, now: Any, only: str | None, batch: int | None) -> None:
        bars: dict[str, Progress] = {}

        def progress(category: engine.Category, done: int, total: int) -> None:
            if total == 0:
                return
            bar = bars.get(category.key)
            if bar is None:
                bar = bars[category.key] = Progress(self.stdout, category.name[:24])
            bar(done, total)

        started = time.monotonic()
        with stop.on_signals():
            report = engine.run(
                now, trigger=PurgeRun.Trigger.COMMAND, only=only, progress=progress, batch=batch
            )
        for bar in bars.values():
            bar.end()
        for outcome in report.outcomes:
            category = outcome.category
            if category.erase == "anonymise":
                done = _("%(name)s: %(count)d anonymised, %(held)d held")
            else:
                done = _("%(name)s: %(count)d deleted, %(held)d held")
            line = done % {"name": category.name, "count": outcome.count, "held": outcome.held}
            line += f" ({category.where}: {category.rule_words}; {outcome.seconds:.2f} s)"
            if outcome.error:
                line += " " + _("FAILED: %(error)s") % {"error": outcome.error}
            self.stdout.write(line)
        elapsed = time.monotonic() - started
        summary = _(
            "Purged %(removed)d rows and held %(held)d across %(rules)d rules in %(seconds).1f s."
        ) % {
            "removed": report.removed,
            "held": report.held,
            "rules": len(report.outcomes),
            "seconds": elapsed,
        }
        if report.interrupted:
            summary += " " + _(
                "Stopped before the end (signal received); every finished batch is kept, "
                "run it again to go on."
            )
        self.stdout.write(summary)
        if report.failed:
            names = ", ".join(o.category.name for o in report.failed)
            raise CommandError(
                _(
                    "Some rules could not be applied (%(names)s); the lines above say why. The "
                    "others were applied. Fix the cause and run `gardien purge` again."
                )
                % {"names": names}
            )
        if report.interrupted:
            raise SystemExit(3)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
