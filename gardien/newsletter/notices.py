"""The email that tells subscribers of a substantial change to the privacy policy
(gardien.policy.changes), prepared from the published versions and sent as a campaign
(``gardien newsletter notify-policy-change``) after the DPO has read it."""

from __future__ import annotations

from typing import Any

from django.utils import formats, timezone, translation

from gardien.policy import changes
from gardien.policy import services as policy


def letter_context(number: int | None, lang: str) -> dict[str, Any]:
    """What the notice of version ``number`` says, in ``lang``."""
    current = policy.version(number) if number else None
    previous = policy.version(number - 1) if number and number > 1 else None
    if current is None or previous is None:
        return {"published": "", "changes": []}
    with translation.override(lang):
        published = formats.date_format(timezone.localtime(current.published_at), "DATE_FORMAT")
    return {
        "published": published,
        "changes": changes.substantial(previous.manifest, current.manifest, lang),
    }


def pending_notice() -> changes.Notice | None:
    """The latest version's substantial changes, however old (the DPO decides when to send)."""
    return changes.latest_notice("fr", within_days=None)
