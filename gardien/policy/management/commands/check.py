from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.core.management.commands.check import Command as DjangoCheck
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.lib.checkwords import said
from gardien.lib.command import GardienCommand
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
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [a for a in args if a.endswith(".toml") or "/" in a or Path(a).is_file()]
        labels = [a for a in args if a not in paths]
        if len(paths) > 1:
            self.stderr.write(_("Give one manifest file at a time."))
            sys.exit(2)
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
