"""What the visitor is told beside the form (GDPR Art. 13) and after sending it, from the
published manifest through the policy's view model (gardien.policy.document)."""

from __future__ import annotations

from typing import Any

from gardien.contact.models import ACTIVITY, ContactMessage
from gardien.manifest import Manifest
from gardien.policy import notice
from gardien.policy import services as policy


def notice_context(manifest: Manifest, lang: str) -> dict[str, Any]:
    """Everything the contact form's notice at collection states, in ``lang``."""
    return notice.notice_context(manifest, lang, ACTIVITY)


def acknowledgement_context(message: ContactMessage) -> dict[str, Any]:
    """What the visitor is told once the message is kept, from the version it was sent under."""
    version = policy.version(message.policy_version) or policy.published()
    assert version is not None  # a message is only received under a published version
    context = notice_context(version.manifest, message.lang)
    context["message"] = message
    return context
