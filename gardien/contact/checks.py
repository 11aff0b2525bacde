"""Start-up checks of the contact form (`gardien check`).

- gardien.W201: the manifest declares a contact form but nobody is told of its messages
  (GARDIEN_CONTACT_NOTIFY is empty), so they wait in the back office until someone looks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks import CheckMessage, register
from django.utils.translation import gettext as _

from gardien.contact.models import ACTIVITY


@register("gardien")
def check_notification(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.GARDIEN_CONTACT_NOTIFY:
        return []
    # The draft, as the registry check reads it: a form about to be published counts too.
    try:
        from gardien.policy.services import draft

        declared = any(activity.id == ACTIVITY for activity in draft().activities)
    except Exception:  # the manifest check reports a broken manifest on its own
        return []
    if not declared:
        return []
    return [
        checks.Warning(
            _(
                "Nobody is told by email of contact messages; set "
                "GARDIEN_CONTACT_NOTIFY=team@example.org (comma-separated addresses)."
            ),
            hint=_("Without it, messages wait in the back office for someone to look."),
            obj="GARDIEN_CONTACT_NOTIFY",
            id="gardien.W201",
        )
    ]
