"""``gardien worker``: send what Gardien has queued (mails, calls to processors), with retries."""

from __future__ import annotations

import math
from argparse import ArgumentParser, ArgumentTypeError
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.lib.clock import ClockError, frozen, parse_instant
from gardien.lib.command import GardienCommand, InputError
from gardien.processors.worker import OutboxWorker


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ArgumentTypeError(
            _("%(value)r is not a number of seconds.") % {"value": value}
        ) from None
    if not math.isfinite(number) or number < 0:
        raise ArgumentTypeError(_("the interval is a number of seconds, zero or more."))
    return number


class Command(GardienCommand):
    help = gettext_lazy(
        "Carries out the work Gardien has queued: notification and newsletter emails, "
        "calls to processors such as a mailing service. Keep it running beside the web "
        "server (Ctrl-C or a stop signal ends it after the current task), or run it "
        "regularly from cron with --batch. Work that fails is tried again after a growing "
        "wait (1 min, 2 min, 4 min... up to 6 hours); after its last try it is listed in the "
        "back office under 'Processors and outbox' for the DPO, who can start it again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch",
            "--once",
            action="store_true",
            dest="batch",
            help=_(
                "do the work that is due now, print a one-line summary and stop "
                "(--verbosity 0 prints nothing, for cron)"
            ),
        )
        parser.add_argument(
            "--now",
            metavar="DATE",
            help=_(
                "with --batch: act as if it were DATE (e.g. 2026-03-01 or "
                "2026-03-01T14:30:00+01:00), to run work scheduled until then; for tests"
            ),
        )
        parser.add_argument(
            "--interval",
            type=_seconds,
            default=1.0,
            metavar="SECONDS",
            help=_("how long to wait before looking again when nothing is due (default: 1)"),
        )
        parser.add_argument(
            "--queue",
            default="default",
            metavar="NAME",
            help=_("which queue(s) to serve, comma-separated, '*' for all (default: default)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch: bool = options["batch"]
        clock_context: AbstractContextManager[object] = nullcontext()
        if options["now"]:
            if not batch:
                raise InputError(
                    _(
                        "--now only works with --batch: a worker that keeps running must use "
                        "the real time, or retries would never come due."
                    )
                )
            try:
                clock_context = frozen(parse_instant(options["now"]))
            except ClockError as exc:
                raise InputError(str(exc)) from None
        from gardien.backup.restoring import refuse_unfinished

        refuse_unfinished()  # even --batch: it would mail people a stopped restore brought back
        if not batch:
            from gardien.vault.keycheck import check_at_start

            check_at_start()  # a wrong key stops the worker before it touches any data
        worker = OutboxWorker(
            queue_names=[name.strip() for name in options["queue"].split(",") if name.strip()],
            interval=options["interval"],
            batch=batch,
            force_periodic=bool(options["now"]),
        )
        with clock_context, worker.signals_installed():
            if not batch and options["verbosity"] >= 1:
                self.stdout.write(
                    _("Gardien worker running; Ctrl-C stops it after the current task.")
                )
            worker.run()
        if options["verbosity"] >= 1:
            self.stdout.write(worker.summary())
