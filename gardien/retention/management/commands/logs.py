from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.lib.command import GardienCommand
from gardien.policy import services as policy
from gardien.retention import logs


class Command(GardienCommand):
    help = gettext_lazy(
        "Keeps the server's logs no longer than the privacy policy says. Gardien writes no log "
        "file: its web server's access log (addresses already shortened) goes to the system "
        "journal. This prints the journal settings that delete Gardien's log lines once the "
        "period of the security activity of the published policy has passed, or writes them "
        "with --write. Run it again after changing that period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--write",
            metavar="FILE",
            nargs="?",
            const=logs.CONF_PATH,
            default=None,
            help=_("write the settings to FILE (default: %(path)s)") % {"path": logs.CONF_PATH},
        )

    def handle(self, *args: Any, **options: Any) -> None:
        current = policy.published()
        if current is None:
            raise CommandError(
                _("No policy is published yet; publish it first (gardien policy publish).")
            )
        try:
            kept = logs.retention(current.manifest)
        except logs.NoLogPeriod as exc:
            raise CommandError(str(exc)) from None
        conf = kept.journald_conf()
        if options["write"] is None:
            self.stdout.write(conf, ending="")
            return
        target = Path(options["write"])
        try:
            target.write_text(conf, encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                _(
                    "Cannot write %(path)s (%(reason)s); run it as a user who may, or choose "
                    "another file."
                )
                % {"path": target, "reason": exc.strerror or exc}
            ) from None
        self.stdout.write(
            _(
                "Written to %(path)s: the journal keeps Gardien's logs %(days)d days at most "
                '("%(period)s"). Now run: systemctl restart systemd-journald@%(ns)s'
            )
            % {"path": target, "days": kept.days, "period": kept.period, "ns": logs.NAMESPACE}
        )
