from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gardien.lib import clock
from gardien.manifest import ManifestError
from gardien.manifest import wording as say
from gardien.policy import services as policy
from gardien.policy.models import PolicyVersion
from gardien.policy.services import publish


class Command(BaseCommand):
    help = (
        "Publishes the privacy policy. `publish` records a new version of the policy when the "
        "manifest says something new (its date becomes the policy's “Last updated”), and does "
        "nothing when it is unchanged; `history` lists the published versions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{publish,history}")
        pub = sub.add_parser(
            "publish",
            help="publish a new version if the manifest changed",
            description="Publish a new version of the privacy policy if the manifest changed.",
        )
        pub.add_argument(
            "--note",
            default="",
            help='a short note shown in the version history, e.g. --note "New processor: Brevo"',
        )
        pub.add_argument(
            "--manifest", default=None, help="manifest file to publish (default: GARDIEN_MANIFEST)"
        )
        pub.add_argument(
            "--dry-run",
            action="store_true",
            help="only show what a publication would change; publish nothing",
        )
        pub.add_argument(
            "--language",
            choices=say.LANGUAGES,
            default=say.DEFAULT_LANGUAGE,
            help="with --dry-run: the language of the text shown (default: fr)",
        )
        pub.add_argument(
            "--now",
            default=None,
            help="publish as if it were this date, e.g. 2026-03-01 (tests and back-dating a "
            "first publication)",
        )
        sub.add_parser(
            "history",
            help="list the published versions",
            description="List the published versions of the privacy policy.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "history":
            versions = PolicyVersion.objects.order_by("number")
            for v in versions:
                note = f" — {v.note}" if v.note else ""
                self.stdout.write(
                    f"version {v.number}  {v.published_at:%Y-%m-%d %H:%M}  "
                    f"{v.content_hash[:12]}{note}"
                )
            self.stdout.write(f"{versions.count()} version(s) published.")
            return
        path = options["manifest"] or settings.GARDIEN_MANIFEST
        if options["dry_run"]:
            self._dry_run(path, options["language"])
            return
        if len(options["note"]) > 500:
            raise CommandError("The note is longer than 500 characters; keep it to a sentence.")
        try:
            instant = clock.parse_instant(options["now"]) if options["now"] else clock.now()
        except clock.ClockError as exc:
            raise CommandError(str(exc)) from None
        try:
            with clock.frozen(instant):
                version = publish(path, note=options["note"])
        except ManifestError as exc:
            raise CommandError(
                "The manifest has problems, nothing was published:\n  " + "\n  ".join(exc.lines())
            ) from None
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if version is None:
            self.stdout.write(
                "The manifest has not changed since the last version: nothing published."
            )
        else:
            self.stdout.write(
                f"Published version {version.number} of the privacy policy "
                f"({version.published_at:%Y-%m-%d})."
            )

    def _dry_run(self, path: Path | str, language: str) -> None:
        changes = policy.draft_changes(language, path)
        if changes.problems:
            raise CommandError(
                "The manifest has problems, nothing could be published:\n  "
                + "\n  ".join(changes.problems)
            )
        current = changes.published
        if not changes.differs:
            assert current is not None
            self.stdout.write(
                f"Nothing to publish: the manifest says the same as version {current.number}."
            )
            return
        number = current.number + 1 if current else 1
        for kind, line in changes.lines:
            self.stdout.write(f"{'+' if kind == 'added' else '-'} {line}")
        if current is not None:
            self.stdout.write(f"Sections changed: {', '.join(changes.sections)}.")
        if current is not None and not changes.lines:
            self.stdout.write("The text of the policy stays the same.")
        added = sum(1 for kind, _ in changes.lines if kind == "added")
        removed = len(changes.lines) - added
        self.stdout.write(
            f"A publication would make version {number} of the policy "
            f"({added} line(s) added, {removed} removed); nothing was published (--dry-run)."
        )
