from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gardien.audit.services import Actor, record
from gardien.lib import crypto
from gardien.vault import keycheck
from gardien.vault.rotation import rotate


class Command(BaseCommand):
    help = (
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
            help="re-encrypt everything under the newest keys",
            description="Re-encrypt every personal value under the newest keys, in batches.",
        )
        rot.add_argument("--batch-size", type=int, default=500, help="rows per batch (default 500)")
        sub.add_parser(
            "check",
            help="check the keys against the stored data",
            description="Check that every key is well-formed and one the stored data needs.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            try:
                keycheck.check()
            except keycheck.KeyCheckError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write("The keys are well-formed and the ones the stored data needs.")
            return
        if options["batch_size"] < 1 or options["batch_size"] > 100_000:
            raise CommandError("--batch-size must be between 1 and 100000.")
        try:
            crypto.field_keys()
            crypto.index_keys()
        except crypto.CryptoConfigError as exc:
            raise CommandError(str(exc)) from None
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
                f"Rotation stopped: {exc}. Nothing already rotated is lost; "
                "fix the keys and run it again."
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
        self.stdout.write(
            f"Re-encrypted {summary.rows} rows in {summary.models} models under the newest keys; "
            "the old keys can now be removed from the settings."
        )
