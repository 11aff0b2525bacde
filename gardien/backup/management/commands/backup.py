from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.backup import database, services
from gardien.lib.command import GardienCommand


class Command(GardienCommand):
    help = gettext_lazy(
        "Saves a copy of everything Gardien keeps (its database and the identity documents "
        "people sent) into one encrypted file, while Gardien keeps running. The file can only "
        "be read with Gardien's keys (GARDIEN_FIELD_KEYS): store it somewhere else than the "
        "keys, and keep the keys safely, or the copy is useless. `gardien restore` puts it back "
        "and erases again everyone erased since the copy was made."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            required=True,
            metavar="FILE",
            help=_(
                "the file to write, e.g. /backups/gardien-2026-11-30.backup (replaced if it exists)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["to"]).expanduser()
        if not target.parent.is_dir():
            raise CommandError(_("The folder %(path)s does not exist.") % {"path": target.parent})
        try:
            taken = services.backup(target, say=self.stdout.write)
        except database.DatabaseError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "Backup written to %(path)s: the database (%(db)s) and %(files)d private files, "
                "%(size)s encrypted, in %(seconds).1f s. It can only be restored with "
                "GARDIEN_FIELD_KEYS: keep them apart from it."
            )
            % {
                "path": taken.path,
                "db": _size(taken.database_bytes),
                "files": taken.files,
                "size": _size(taken.archive_bytes),
                "seconds": taken.seconds,
            }
        )


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover
