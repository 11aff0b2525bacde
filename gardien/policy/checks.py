"""`gardien check` (and Django's check framework) validates the manifest.

- gardien.E001: the manifest has a problem (each with its line); nothing runs until it is fixed.
- gardien.W001: the visitors' cookie choice is kept longer than the 6 months the CNIL
  recommends. Advice, not a problem: `gardien check` shows it (for the configured manifest
  or the one given) and still passes; ``choice_lifetime = "6 months"`` silences it.
- gardien.W002: the manifest still lists ``[site] origins``, which now live in the site settings
  (``gardien site add-origin``); a change to them alone publishes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks import Error, register
from django.utils import translation
from django.utils.translation import gettext as _

from gardien.manifest import Manifest, ManifestError, load_path, wording
from gardien.manifest.locate import Locator
from gardien.manifest.schema import CONSENT_MAX_LIFETIME

# The CNIL's guidelines and recommendation on cookies (deliberations 2020-091 and 2020-092
# of 17 September 2020) call keeping the visitor's choice for 6 months, then asking again,
# good practice. Six calendar months span 181 to 184 days ("6 months", "26 weeks",
# "183 days" all fit); longer draws the warning.
CNIL_CHOICE_MONTHS = 6
CNIL_CHOICE_DAYS = 184


@register("gardien")
def check_manifest(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        load_path(settings.GARDIEN_MANIFEST)
    except ManifestError as exc:
        return [
            Error(
                line, hint=_("Fix the manifest, then run `gardien check` again."), id="gardien.E001"
            )
            for line in exc.lines()
        ]
    return []


def _language() -> str:
    """The language of the sentences being written (gettext's), for the wording module."""
    return (translation.get_language() or wording.DEFAULT_LANGUAGE).split("-")[0]


def _line(filename: str | Path, path: tuple[str, ...]) -> int:
    try:
        text = Path(filename).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    return Locator(text).line_of(path)


def manifest_warnings(manifest: Manifest, filename: str | Path) -> list[checks.CheckMessage]:
    """What `gardien check` advises about a valid manifest, each at its line of ``filename``.

    Advice only: the manifest stays valid and the check passes."""
    found: list[checks.CheckMessage] = []
    cookies = manifest.cookies
    lifetime = cookies.choice_lifetime
    if lifetime.days > CNIL_CHOICE_DAYS:
        written = "choice_lifetime" in cookies.model_fields_set
        where = ("cookies", "choice_lifetime") if written else ("cookies",)
        language = _language()
        words = {
            "lifetime": wording.duration(lifetime, language),
            "months": CNIL_CHOICE_MONTHS,
            "most": wording.duration(CONSENT_MAX_LIFETIME, language),
        }
        kept = (
            _(
                "The visitors' cookie choices are kept %(lifetime)s before the banner asks again; "
                "the CNIL recommends asking again about every %(months)d months (its guidelines "
                "and recommendation on cookies of 17 September 2020, deliberations 2020-091 and "
                "2020-092)."
            )
            if written
            else _(
                "The visitors' cookie choices are kept %(lifetime)s (choice_lifetime's default) "
                "before the banner asks again; the CNIL recommends asking again about every "
                "%(months)d months (its guidelines and recommendation on cookies of "
                "17 September 2020, deliberations 2020-091 and 2020-092)."
            )
        )
        found.append(
            checks.Warning(
                kept % words,
                hint=_(
                    'To follow it and silence this warning, set choice_lifetime = "%(months)d '
                    'months" in [cookies]. A longer life, up to %(most)s, is allowed: the check '
                    "still passes."
                )
                % words,
                obj=f"{filename}:{_line(filename, where)}",
                id="gardien.W001",
            )
        )
    if manifest.site.origins:
        commands = ", ".join(
            f"gardien site add-origin {origin}" for origin in manifest.site.origins
        )
        found.append(
            checks.Warning(
                _(
                    "The sites allowed to show the banner and the forms now live in Gardien's "
                    "site settings, apart from the public policy: run %(commands)s, then remove "
                    "`origins` from [site] (a change to it alone publishes nothing)."
                )
                % {"commands": commands},
                obj=f"{filename}:{_line(filename, ('site', 'origins'))}",
                id="gardien.W002",
            )
        )
    return [message for message in found if not message.is_silenced()]
