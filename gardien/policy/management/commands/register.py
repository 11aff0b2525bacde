from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.manifest import Manifest, ManifestError
from gardien.manifest import wording as say
from gardien.policy import register
from gardien.policy import services as policy


class Command(BaseCommand):
    help = (
        "Exports the record of processing activities (GDPR Art. 30) and the processor registry "
        "of the published policy (with --draft: of the manifest file, not yet published). "
        "JSON holds everything; CSV gives one spreadsheet (activities, or processors with "
        "--what processors); HTML is a printable document."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{export}")
        export = sub.add_parser(
            "export",
            help="write the register as json, csv or html",
            description="Write the record of processing activities.",
        )
        export.add_argument(
            "--format",
            choices=["json", "csv", "html"],
            default="html",
            help="json, csv or html (default: html)",
        )
        export.add_argument(
            "--what",
            choices=["activities", "processors"],
            default="activities",
            help="for csv: which table (default: activities)",
        )
        export.add_argument(
            "--language",
            choices=say.LANGUAGES,
            default="fr",
            help="language of the texts (default: fr)",
        )
        export.add_argument(
            "--draft",
            action="store_true",
            help="export the manifest file as it is now, before publishing it",
        )
        export.add_argument(
            "--manifest",
            default=None,
            help="with --draft: the manifest file (default: GARDIEN_MANIFEST)",
        )
        export.add_argument(
            "--output", "-o", default=None, help="file to write (default: print on the screen)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["manifest"] and not options["draft"]:
            raise CommandError(
                "--manifest names a draft; add --draft to export it, or leave --manifest out "
                "to export the published policy."
            )
        manifest = self._draft(options["manifest"]) if options["draft"] else self._published()
        data = register.build(manifest, options["language"])
        fmt = options["format"]
        if fmt == "json":
            text = register.to_json(data)
        elif fmt == "csv":
            text = register.to_csv(data, options["what"])
        else:
            text = register.to_html(data)
        if not options["draft"]:  # a draft is a file on disk, not what Gardien holds
            trail.exported(Actor.system(), "policy.register", reason=fmt)
        if options["output"]:
            target = Path(options["output"])
            try:
                target.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {target}: {exc.strerror}.") from None
            count = len(data["activities"])
            self.stdout.write(
                f"Wrote the register ({count} activities, "
                f"{len(data['processors'])} processors) to {target}."
            )
        else:
            self.stdout.write(text, ending="")

    def _published(self) -> Manifest:
        current = policy.published_manifest()
        if current is None:
            raise CommandError(
                "No policy is published yet; run “gardien policy publish” first, or export "
                "the manifest file with --draft."
            )
        return current

    def _draft(self, path: str | None) -> Manifest:
        try:
            return policy.draft(path)
        except ManifestError as exc:
            raise CommandError(
                "The manifest has problems:\n  " + "\n  ".join(exc.lines())
            ) from None
        except OSError as exc:
            raise CommandError(f"Cannot read the manifest: {exc.strerror}.") from None
