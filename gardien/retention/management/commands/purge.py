from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from gardien.lib import clock, stop
from gardien.lib.progress import Progress
from gardien.retention import engine
from gardien.retention.models import PurgeRun


class Command(BaseCommand):
    help = (
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
            help="change nothing; show what is due now and in the next 30 and 90 days",
        )
        parser.add_argument(
            "--now",
            default=None,
            metavar="DATE",
            help="act as if today were this date, e.g. 2029-05-01 (rehearsals; use with "
            "--dry-run to see what a future date will remove)",
        )
        parser.add_argument(
            "--only",
            default=None,
            metavar="ACTIVITY",
            help="only apply the rules of this activity of the manifest, e.g. contact",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            metavar="N",
            help="rows per transaction (default: GARDIEN_PURGE_BATCH, 250 on SQLite, "
            "5000 on PostgreSQL)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            now = clock.parse_instant(options["now"]) if options["now"] else clock.now()
        except clock.ClockError as exc:
            raise CommandError(str(exc)) from None
        if options["now"] and not options["dry_run"] and settings.PRODUCTION:
            raise CommandError(
                "--now without --dry-run is refused in production: it would delete data "
                "before its period ends. Add --dry-run to see what that date will remove."
            )
        batch = options["batch"]
        if batch is not None and batch < 1:
            raise CommandError("--batch must be 1 or more rows.")
        with clock.frozen(now), translation.override("en"):
            try:
                if options["dry_run"]:
                    self.dry_run(now, options["only"])
                else:
                    self.purge(now, options["only"], batch)
            except engine.PurgeRefused as exc:
                raise CommandError(str(exc)) from None

    def dry_run(self, now: Any, only: str | None) -> None:
        rows = engine.forecast(now, days=(30, 90), only=only)
        local = timezone.localtime(now)
        self.stdout.write(
            f"What the retention rules remove, as of {local:%Y-%m-%d %H:%M} "
            f"({settings.TIME_ZONE}, UTC{local:%z}):"
        )
        header = (
            f"{'stored data':<30} {'rule from':<28} {'rule':<40} {'now':>8} {'held':>6} "
            f"{'30 days':>8} {'90 days':>8}"
        )
        self.stdout.write(header)
        for row in rows:
            category = row.category
            self.stdout.write(
                f"{_short(category.name, 30):<30} {_short(category.where, 28):<28} "
                f"{_short(category.rule_text, 40):<40} "
                f"{row.due_now:>8} {row.held_now:>6} {row.ahead[30]:>8} {row.ahead[90]:>8}"
            )
        due = sum(r.due_now for r in rows)
        held = sum(r.held_now for r in rows)
        self.stdout.write(
            f"Dry run: {due} rows are due now and {held} held by a restriction, across "
            f"{len(rows)} rules; nothing was changed."
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
            verb = "anonymised" if category.erase == "anonymise" else "deleted"
            line = (
                f"{category.name}: {outcome.count} {verb}, {outcome.held} held "
                f"({category.where}: {category.rule_text}; {outcome.seconds:.2f} s)"
            )
            if outcome.error:
                line += f" FAILED: {outcome.error}"
            self.stdout.write(line)
        elapsed = time.monotonic() - started
        summary = (
            f"Purged {report.removed} rows and held {report.held} across "
            f"{len(report.outcomes)} rules in {elapsed:.1f} s."
        )
        if report.interrupted:
            summary += (
                " Stopped before the end (signal received); every finished batch is kept, "
                "run it again to go on."
            )
        self.stdout.write(summary)
        if report.failed:
            names = ", ".join(o.category.name for o in report.failed)
            raise CommandError(
                f"Some rules could not be applied ({names}); the lines above say why. The "
                "others were applied. Fix the cause and run `gardien purge` again."
            )
        if report.interrupted:
            raise SystemExit(3)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
