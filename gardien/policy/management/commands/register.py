from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.lib import pdf
from gardien.lib.command import GardienCommand, InputError
from gardien.lib.spreadsheet import SEPARATORS
from gardien.manifest import Manifest, ManifestError
from gardien.manifest import wording as say
from gardien.policy import register
from gardien.policy import services as policy
from gardien.policy.services import Published


class Command(GardienCommand):
    help = gettext_lazy(
        "Exports the record of processing activities (GDPR Art. 30) and the processor registry "
        "of the published policy (with --draft: of the manifest file, not yet published), "
        "dated and naming the policy version, as the back office's download buttons do. "
        "JSON holds everything; CSV gives one spreadsheet (activities, or processors with "
        "--what processors), UTF-8 with a byte-order mark; PDF and HTML are a printable "
        "document. Each export of the published policy is written in the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{export}")
        export = sub.add_parser(
            "export",
            help=_("write the register as pdf, csv, json or html"),
            description=_("Write the record of processing activities."),
        )
        export.add_argument(
            "--format",
            choices=register.FORMATS,
            default="html",
            help=_("pdf, csv, json or html (default: html; pdf needs --output)"),
        )
        export.add_argument(
            "--what",
            choices=register.TABLES,
            default="activities",
            help=_("for csv: which table (default: activities)"),
        )
        export.add_argument(
            "--separator",
            choices=list(SEPARATORS),
            default="semicolon",
            help=_(
                "for csv: semicolon, as spreadsheets in French expect, or comma "
                "(default: semicolon)"
            ),
        )
        export.add_argument(
            "--language",
            choices=say.LANGUAGES,
            default="fr",
            help=_("language of the texts (default: fr)"),
        )
        export.add_argument(
            "--draft",
            action="store_true",
            help=_("export the manifest file as it is now, before publishing it"),
        )
        export.add_argument(
            "--manifest",
            default=None,
            help=_("with --draft: the manifest file (default: GARDIEN_MANIFEST)"),
        )
        export.add_argument(
            "--output", "-o", default=None, help=_("file to write (default: print on the screen)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["manifest"] and not options["draft"]:
            raise InputError(
                _(
                    "--manifest names a draft; add --draft to export it, or leave --manifest "
                    "out to export the published policy."
                )
            )
        fmt = options["format"]
        if fmt == "pdf" and not options["output"]:
            raise InputError(
                _("A PDF is a file, not text for the screen; add --output register.pdf.")
            )
        version: Published | None = None
        if options["draft"]:
            manifest = self._draft(options["manifest"])
        else:
            version = self._published()
            manifest = version.manifest
        data = register.build(manifest, options["language"], version=version)
        try:
            exported = register.export(
                data, fmt, what=options["what"], separator=options["separator"]
            )
        except pdf.Unavailable as exc:
            raise CommandError(str(exc)) from None
        if version is not None:  # a draft is a file on disk, not what Gardien holds
            reason = f"{fmt} {options['what']}" if fmt == "csv" else fmt
            trail.exported(Actor.system(), "policy.register", str(version.number), reason)
        if options["output"]:
            target = Path(options["output"])
            try:
                target.write_bytes(exported.content)
            except OSError as exc:
                raise CommandError(
                    _("Cannot write %(path)s: %(problem)s.")
                    % {"path": target, "problem": exc.strerror}
                ) from None
            self.stdout.write(
                _(
                    "Wrote the register (%(activities)d activities, %(processors)d processors) "
                    "to %(path)s."
                )
                % {
                    "activities": len(data["activities"]),
                    "processors": len(data["processors"]),
                    "path": target,
                }
            )
        else:
            self.stdout.write(exported.content.decode("utf-8"), ending="")

    def _published(self) -> Published:
        current = policy.published()
        if current is None:
            raise CommandError(
                _(
                    "No policy is published yet; run “gardien policy publish” first, or export "
                    "the manifest file with --draft."
                )
            )
        return current

    def _draft(self, path: str | None) -> Manifest:
        try:
            return policy.draft(path)
        except ManifestError as exc:
            raise InputError(
                _("The manifest has problems:") + "\n  " + "\n  ".join(exc.lines())
            ) from None
        except OSError as exc:
            raise InputError(
                _("Cannot read the manifest: %(problem)s.") % {"problem": exc.strerror}
            ) from None
