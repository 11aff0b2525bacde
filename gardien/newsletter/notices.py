"""The email that tells subscribers of a substantial change to the privacy policy
(gardien.policy.changes), prepared from the published versions and sent as a campaign
(``gardien newsletter notify-policy-change``) after the DPO has read it.

The changes are counted from the last version subscribers were told about (the latest
policy-change campaign), or, the first time, from the version before the latest substantial
change: a small publication afterwards does not hide a notice not yet sent."""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from django.utils import formats, timezone, translation

from gardien.newsletter.models import Campaign
from gardien.policy import changes


def letter_context(since: int, lang: str) -> dict[str, Any]:
    """What the notice of the changes since version ``since`` says, in ``lang``."""
    notice = changes.notice_since(since, lang)
    if notice is None:
        return {"published": "", "changes": []}
    with translation.override(lang):
        published = formats.date_format(timezone.localtime(notice.published_at), "DATE_FORMAT")
    return {"published": published, "changes": notice.lines}


def pending_notice() -> changes.Notice | None:
    """The substantial changes subscribers have not been told about, if any."""
    told = Campaign.objects.filter(kind=Campaign.Kind.POLICY_CHANGE).aggregate(
        latest=Max("policy_version")
    )["latest"]
    since = told if told is not None else changes.last_substantial_baseline()
    return changes.notice_since(since, "fr") if since is not None else None
