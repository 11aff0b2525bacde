from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.backup import database, services, tombstones
from gardien.lib import when
from gardien.lib.command import GardienCommand


class Command(GardienCommand):
    help = gettext_lazy(
        "Puts back a copy made by `gardien backup`, into a new, empty Gardien only (it never "
        "overwrites data). Then, before Gardien serves anyone, it erases again every person "
        "erased since the copy was made and deletes again what the retention rules removed "
        "since, from the list of erasures Gardien keeps outside the database "
        "(GARDIEN_TOMBSTONES_DIR, which must be the one of the instance the copy came from). "
        "Needs the keys the copy was made under (GARDIEN_FIELD_KEYS). Start Gardien only "
        "after it said it has finished."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            required=True,
            metavar="FILE",
            help=_("the file written by `gardien backup`"),
        )
        parser.add_argument(
            "--list-of-erasures-lost",
            dest="list_lost",
            action="store_true",
            help=_(
                "only if the list of erasures (GARDIEN_TOMBSTONES_DIR) is lost for good: restore "
                "anyway. Everyone erased since the backup comes back and must be erased again "
                "from your rights requests (docs/backup.md)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = services.restore(
                Path(options["source"]).expanduser(),
                say=self.stdout.write,
                list_lost=options["list_lost"],
            )
        except (services.BackupError, database.DatabaseError) as exc:
            raise CommandError(str(exc)) from None
        for stone in restored.erased:
            self.stdout.write(
                _("  erased again: person %(ref)s (%(scope)s), erased on %(time)s")
                % {
                    "ref": stone.ref,
                    "scope": stone.activity or _("everything"),
                    "time": when.text(stone.time),
                }
            )
        if restored.unreadable:
            self.stderr.write(
                _(
                    "Warning: %(count)d line(s) of the list of erasures could not be read "
                    "(%(lines)s of %(path)s); the erasures they held were not replayed. Check "
                    "those lines, and erase again by hand anyone they name."
                )
                % {
                    "count": len(restored.unreadable),
                    "lines": ", ".join(str(n) for n in restored.unreadable[:10]),
                    "path": tombstones.path(),
                }
            )
        if restored.purge_note:
            self.stdout.write(
                _("  retention purge not run: %(why)s") % {"why": restored.purge_note}
            )
        self.stdout.write(
            _(
                "Restored the backup of %(taken)s (%(files)d private files); replayed "
                "%(erased)d erasures (%(absent)d of people the backup did not hold, %(forgotten)d "
                "sign-ups and cookie proofs forgotten again) and the retention purge at %(at)s "
                "(%(purged)d rows removed). Gardien can be started."
            )
            % {
                "taken": when.text(restored.taken_at),
                "files": restored.files,
                "erased": len(restored.erased),
                "absent": restored.absent,
                "forgotten": restored.forgotten,
                "at": when.text(restored.purge_at),
                "purged": restored.purged,
            }
        )
