"""Django's system check as a Gardien command prints it: the same report, with its words
("System check identified some issues", "ERRORS", "WARNINGS", "HINT") in the command's
language, so that a French reader of `gardien check` or `gardien migrate` reads French.

    from gardien.lib import checkwords

    checkwords.check(command, display_num_errors=True)   # what BaseCommand.check does
    checkwords.said(message)                             # one message, "HINT" translated
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, SystemCheckError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# Django's levels, as its check command groups them, most serious first.
_GROUPS = [
    (gettext_lazy("CRITICAL ERRORS:"), checks.CRITICAL, 100),
    (gettext_lazy("ERRORS:"), checks.ERROR, checks.CRITICAL),
    (gettext_lazy("WARNINGS:"), checks.WARNING, checks.ERROR),
    (gettext_lazy("INFOS:"), checks.INFO, checks.WARNING),
    (gettext_lazy("DEBUGS:"), 0, checks.INFO),
]


def said(message: checks.CheckMessage) -> str:
    """A check's message as Django writes it, "HINT" in the active language."""
    text = str(message)
    if message.hint:
        text = text.removesuffix(f"\n\tHINT: {message.hint}")
        text += "\n\t" + _("HINT: %(hint)s") % {"hint": message.hint}
    return text


def check(
    command: BaseCommand,
    app_configs: Any = None,
    tags: Any = None,
    display_num_errors: bool = False,
    include_deployment_checks: bool = False,
    fail_level: int = checks.ERROR,
    databases: Any = None,
) -> None:
    """``BaseCommand.check``: run the checks, print what they found, raise
    ``SystemCheckError`` when one is at ``fail_level`` or worse."""
    issues = checks.run_checks(
        app_configs=app_configs,
        tags=tags,
        include_deployment_checks=include_deployment_checks,
        databases=databases,
    )
    visible = [issue for issue in issues if not issue.is_silenced()]
    style = command.style
    body = ""
    for heading, low, high in _GROUPS:
        group = [issue for issue in visible if low <= issue.level < high]
        if group:
            lines = sorted(
                style.ERROR(said(i)) if i.is_serious() else style.WARNING(said(i)) for i in group
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
        raise SystemCheckError(style.ERROR(header) + body + footer)
    if visible:
        command.stderr.write(header + body + footer, lambda text: text)
    elif footer:
        command.stdout.write(footer)
