"""Start-up checks of the newsletter (`gardien check`).

- gardien.W301: Brevo is on but its webhook has no secret: unsubscriptions made inside Brevo
  (and clicks) do not come back to Gardien.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks import CheckMessage, register
from django.utils.translation import gettext as _


@register("gardien")
def check_brevo(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        from gardien.policy.services import draft

        section = draft().newsletter
    except Exception:  # the manifest check reports a broken manifest on its own
        return []
    if section is None or section.processor != "brevo":
        return []
    if not settings.GARDIEN_BREVO_API_KEY:
        return []  # Brevo is off: the back office and `gardien newsletter audience` say so
    if not settings.GARDIEN_BREVO_WEBHOOK_SECRET:
        return [
            checks.Warning(
                _(
                    "Brevo's webhook has no secret: unsubscriptions made inside Brevo do not "
                    "come back to Gardien."
                ),
                hint=_(
                    "Set GARDIEN_BREVO_WEBHOOK_SECRET and configure the webhook in Brevo "
                    "(docs/newsletter.md)."
                ),
                obj="GARDIEN_BREVO_WEBHOOK_SECRET",
                id="gardien.W301",
            )
        ]
    return []
