from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import CommandParser, SystemCheckError
from django.core.management.commands.check import Command as DjangoCheck
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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

    def check(  # type: ignore[override]
        self,
        app_configs: Any = None,
        tags: Any = None,
        display_num_errors: bool = False,
        include_deployment_checks: bool = False,
        fail_level: int = checks.ERROR,
        databases: Any = None,
    ) -> None:
        """Django's system check, its words ("ERRORS", "HINT") in the command's language."""
        issues = checks.run_checks(
            app_configs=app_configs,
            tags=tags,
            include_deployment_checks=include_deployment_checks,
            databases=databases,
        )
        visible = [issue for issue in issues if not issue.is_silenced()]
        body = ""
        for heading, low, high in _GROUPS:
            group = [issue for issue in visible if low <= issue.level < high]
            if group:
                lines = sorted(
                    self.style.ERROR(said(i)) if i.is_serious() else self.style.WARNING(said(i))
                    for i in group
                )
                joined = "\n".join(lines)
                body += f"\n{heading}\n{joined}\n"
        header = _("System check identified some issues:") + "\n" if visible else ""
        footer = ""
        if display_num_errors:
            counts = {"count": len(visible), "silenced": len(issues) - len(visible)}
            footer = ("\n" if visible else "") + (
                ngettext(
                    "System check identified %(count)d issue (%(silenced)d silenced).",
                    "System check identified %(count)d issues (%(silenced)d silenced).",
                    len(visible),
                )
                if visible
                else _("System check identified no issues (%(silenced)d silenced).")
            ) % counts
        if any(issue.is_serious(fail_level) for issue in visible):
            raise SystemCheckError(self.style.ERROR(header) + body + footer)
        if visible:
            self.stderr.write(header + body + footer, lambda text: text)
        elif footer:
            self.stdout.write(footer)


# Django's levels, as its check command groups them, most serious first.
_GROUPS = [
    (gettext_lazy("CRITICAL ERRORS:"), checks.CRITICAL, 100),
    (gettext_lazy("ERRORS:"), checks.ERROR, checks.CRITICAL),
    (gettext_lazy("WARNINGS:"), checks.WARNING, checks.ERROR),
    (gettext_lazy("INFOS:"), checks.INFO, checks.WARNING),
    (gettext_lazy("DEBUGS:"), 0, checks.INFO),
]


def said(message: checks.CheckMessage) -> str:
    """A check's message as Django writes it, "HINT" in the command's language."""
    text = str(message)
    if message.hint:
        text = text.removesuffix(f"\n\tHINT: {message.hint}")
        text += "\n\t" + _("HINT: %(hint)s") % {"hint": message.hint}
    return text
