"""What the visitor is told beside the form (GDPR Art. 13) and after sending it, from the
published manifest through the policy's view model (gardien.policy.document)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from gardien.contact.models import ACTIVITY, ContactMessage
from gardien.manifest import Manifest
from gardien.manifest import wording as say
from gardien.policy import document
from gardien.policy import services as policy

#: Legal bases under which the person may object (Art. 21), or withdraw consent (Art. 7(3)),
#: or receive a copy to take elsewhere (Art. 20).
OBJECTION_BASES = frozenset({"legitimate_interest", "public_task"})
PORTABILITY_BASES = frozenset({"consent", "contract"})


def notice_context(manifest: Manifest, lang: str) -> dict[str, Any]:
    """Everything the notice at collection states, in ``lang``."""
    activity = next(a for a in document.activities(manifest, lang) if a.id == ACTIVITY)
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


def acknowledgement_context(message: ContactMessage) -> dict[str, Any]:
    """What the visitor is told once the message is kept, from the version it was sent under."""
    version = policy.version(message.policy_version) or policy.published()
    assert version is not None  # a message is only received under a published version
    context = notice_context(version.manifest, message.lang)
    context["message"] = message
    return context
