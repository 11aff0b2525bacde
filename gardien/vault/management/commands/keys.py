from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.audit.services import Actor, record
from gardien.lib import crypto
from gardien.lib.command import GardienCommand, InputError
from gardien.vault import keycheck
from gardien.vault.rotation import rotate


class Command(GardienCommand):
    help = gettext_lazy(
        "Manages the keys that encrypt personal data. `rotate` re-encrypts every stored personal "
        "value and recomputes every lookup index under the NEWEST keys (the first of "
        "GARDIEN_FIELD_KEYS and of GARDIEN_BLIND_INDEX_KEY). Put the new key first, keep the old "
        "one after it, run `rotate`, then remove the old key. An interrupted rotation resumes "
        "where it stopped. `check` says whether the keys are well-formed and the ones the "
        "stored data was written with, as Gardien does at start."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{rotate,check}")
        rot = sub.add_parser(
            "rotate",
            help=_("re-encrypt everything under the newest keys"),
            description=_("Re-encrypt every personal value under the newest keys, in batches."),
        )
        rot.add_argument(
            "--batch-size", type=int, default=500, help=_("rows per batch (default 500)")
        )
        sub.add_parser(
            "check",
            help=_("check the keys against the stored data"),
            description=_("Check that every key is well-formed and one the stored data needs."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            try:
                keycheck.check()
            except keycheck.KeyCheckError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(_("The keys are well-formed and the ones the stored data needs."))
            return
        if options["batch_size"] < 1 or options["batch_size"] > 100_000:
            raise InputError(_("--batch-size must be between 1 and 100000."))
        try:
            field_keys = crypto.field_keys()
            index_keys = crypto.index_keys()
        except crypto.CryptoConfigError as exc:
            raise CommandError(str(exc)) from None
        if len(field_keys) == 1 and len(index_keys) == 1:
            # With one key of each kind the data is already under it (checked at start):
            # re-encrypting would change nothing, and there is no old key to remove.
            self.stdout.write(
                _(
                    "Nothing to rotate: GARDIEN_FIELD_KEYS and GARDIEN_BLIND_INDEX_KEY hold "
                    "one key each, which the stored data is already under. To change keys, put "
                    "the new key first, keep the old one after it (comma-separated) and run this "
                    "again."
                )
            )
            return
        tty = sys.stdout.isatty()

        def progress(label: str, done: int, total: int) -> None:
            percent = 100 * done // total if total else 100
            bar = "#" * (percent // 5)
            line = f"{label:<32} [{bar:<20}] {done}/{total} ({percent}%)"
            self.stdout.write(f"\r{line}" if tty else line, ending="" if tty else "\n")
            self.stdout.flush()

        try:
            summary = rotate(options["batch_size"], progress)
        except crypto.DecryptionError as exc:
            raise CommandError(
                _(
                    "Rotation stopped: %(problem)s. Nothing already rotated is lost; "
                    "fix the keys and run it again."
                )
                % {"problem": exc}
            ) from None
        if tty:
            self.stdout.write("")
        keycheck.rotated()
        record(
            actor=Actor.system(),
            action="rotate_keys",
            target_type="vault.keys",
            target_ref=summary.key_id,
            reason=f"{summary.rows} rows re-encrypted",
        )
        if summary.rows:
            done = ngettext(
                "Re-encrypted %(rows)d row in %(models)d models under the newest keys.",
                "Re-encrypted %(rows)d rows in %(models)d models under the newest keys.",
                summary.rows,
            ) % {"rows": summary.rows, "models": summary.models}
        else:
            done = _(
                "Nothing needed re-encrypting: the stored data was already under the newest keys."
            )
        self.stdout.write(
            done + " " + _("The older keys are no longer needed: remove them from the settings.")
        )
