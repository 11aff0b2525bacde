from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.management.base import CommandParser
from django.core.management.commands.check import Command as DjangoCheck
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.lib.checkwords import said
from gardien.lib.command import GardienCommand, InputError
from gardien.manifest import ManifestError, load_path
from gardien.policy.checks import manifest_warnings


class Command(GardienCommand, DjangoCheck):
    help = gettext_lazy(  # type: ignore[assignment]
        "Checks the manifest (gardien.toml) and lists every problem with its line number, "
        "then runs Gardien's other start-up checks. Give PATH to check another manifest file "
        "without touching the running configuration. Exits with status 1 when anything is wrong; "
        "the manifest's warnings (advice, such as the CNIL's recommendations) are shown but "
        "do not change the exit status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Django's options, with their help in the reader's language and PATH named.
        parser.add_argument(
            "args",
            metavar="PATH",
            nargs="*",
            help=_(
                "the manifest file to check (default: GARDIEN_MANIFEST); an application's "
                "label limits the other checks to it"
            ),
        )
        parser.add_argument(
            "--tag",
            "-t",
            action="append",
            dest="tags",
            help=_("run only the checks with this tag"),
        )
        parser.add_argument(
            "--list-tags",
            action="store_true",
            help=_("list the tags (with --deploy, those of production too)"),
        )
        parser.add_argument(
            "--deploy",
            action="store_true",
            help=_("also check the settings a production server needs"),
        )
        parser.add_argument(
            "--fail-level",
            default="ERROR",
            choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
            help=_("the level of problem from which the exit status is 1 (default: ERROR)"),
        )
        parser.add_argument(
            "--database",
            action="append",
            choices=tuple(connections),
            dest="databases",
            help=_("run the checks that need a database against this one"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [a for a in args if a.endswith(".toml") or "/" in a or Path(a).is_file()]
        labels = [a for a in args if a not in paths]
        if len(paths) > 1:
            self.stderr.write(_("Give one manifest file at a time."))
            sys.exit(2)
        known = {config.label for config in apps.get_app_configs()}
        for label in labels:
            if label not in known:
                raise InputError(
                    _(
                        "“%(label)s” is neither a manifest file nor one of Gardien's "
                        "applications; give the path of a .toml file."
                    )
                    % {"label": label}
                )
        for tag in options["tags"] or []:
            if not checks.tag_exists(tag, options["deploy"]):
                raise InputError(
                    _("No check has the tag “%(tag)s”; --list-tags lists them.") % {"tag": tag}
                )
        target = Path(paths[0]) if paths else Path(settings.GARDIEN_MANIFEST)
        try:
            manifest = load_path(target)
        except ManifestError as exc:
            count = len(exc.problems)
            self.stderr.write(
                ngettext("%(count)d problem in %(file)s:", "%(count)d problems in %(file)s:", count)
                % {"count": count, "file": exc.filename}
            )
            for line in exc.lines():
                self.stderr.write(f"  {line}")
            sys.exit(1)
        self.stdout.write(
            _(
                "%(file)s: no problem found (%(activities)d activities, %(processors)d "
                "processors, %(purposes)d cookie purposes)."
            )
            % {
                "file": target,
                "activities": len(manifest.activities),
                "processors": len(manifest.processors),
                "purposes": len(manifest.cookies.purposes),
            }
        )
        # Advice on a valid manifest: shown, never a failure (not even with --fail-level).
        warnings = manifest_warnings(manifest, target)
        if warnings:
            count = len(warnings)
            self.stderr.write(
                ngettext("%(count)d warning in %(file)s:", "%(count)d warnings in %(file)s:", count)
                % {"count": count, "file": target}
            )
            for warning in warnings:
                self.stderr.write("  " + said(warning).replace("\n\t", "\n    "))
        if not paths:
            super().handle(*labels, **options)
