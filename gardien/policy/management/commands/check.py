from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.core.management.commands.check import Command as DjangoCheck

from gardien.manifest import ManifestError, load_path
from gardien.policy.checks import manifest_warnings


class Command(DjangoCheck):
    help = (
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
            self.stderr.write("Give one manifest file at a time.")
            sys.exit(2)
        target = Path(paths[0]) if paths else Path(settings.GARDIEN_MANIFEST)
        try:
            manifest = load_path(target)
        except ManifestError as exc:
            count = len(exc.problems)
            self.stderr.write(f"{count} problem{'s' if count != 1 else ''} in {exc.filename}:")
            for line in exc.lines():
                self.stderr.write(f"  {line}")
            sys.exit(1)
        self.stdout.write(
            f"{target}: no problem found ({len(manifest.activities)} activities, "
            f"{len(manifest.processors)} processors, "
            f"{len(manifest.cookies.purposes)} cookie purposes)."
        )
        # Advice on a valid manifest: shown, never a failure (not even with --fail-level).
        warnings = manifest_warnings(manifest, target)
        if warnings:
            count = len(warnings)
            self.stderr.write(f"{count} warning{'s' if count != 1 else ''} in {target}:")
            for warning in warnings:
                self.stderr.write("  " + str(warning).replace("\n\tHINT:", "\n    HINT:"))
        if not paths:
            super().handle(*labels, **options)
