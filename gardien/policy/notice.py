"""What a visitor is told where their data is collected (GDPR Art. 13): beside a form, and
after sending it. Everything comes from the manifest through the policy's view model
(gardien.policy.document); the template is ``policy/notice.html``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from gardien.manifest import Manifest
from gardien.manifest import wording as say
from gardien.policy import document

#: Legal bases under which the person may object (Art. 21), or withdraw consent (Art. 7(3)),
#: or receive a copy to take elsewhere (Art. 20).
OBJECTION_BASES = frozenset({"legitimate_interest", "public_task"})
PORTABILITY_BASES = frozenset({"consent", "contract"})


def notice_context(manifest: Manifest, lang: str, activity_id: str) -> dict[str, Any]:
    """Everything the notice at collection of ``activity_id`` states, in ``lang``."""
    activity = next(a for a in document.activities(manifest, lang) if a.id == activity_id)
    return {
        "controller": manifest.controller,
        "dpo": manifest.dpo,
        "authority": manifest.authority,
        "authority_name": manifest.authority.full_name.get(lang),
        "activity": activity,
        "may_object": activity.basis_key in OBJECTION_BASES,
        "may_withdraw": activity.basis_key == "consent",
        "portability": activity.basis_key in PORTABILITY_BASES,
        "response_time": say.duration(manifest.rights.response_time, lang),
        "policy_url": reverse("policy-lang", kwargs={"lang": lang}),
        "site": manifest.site,
    }
