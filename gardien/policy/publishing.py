"""Publishing the draft as a person's act: the notes in both languages, and who did it.

    from gardien.policy import publishing

    publishing.publish(note="Nouveau sous-traitant : Brevo", note_en="New processor: Brevo",
                       actor=Actor.staff(user))

The command (``gardien policy publish``) and the back office's publish page both come here, so
a version is stored, noted and audited the same way from either (the audit entry is written
when the version is saved, see gardien/backoffice/signals.py; ``actor`` names who published).
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.policy import services as policy
from gardien.policy.models import PolicyVersion


def publish(
    path: Path | str | None = None,
    *,
    note: str = "",
    note_en: str = "",
    actor: Actor | None = None,
    expected_hash: str | None = None,
) -> PolicyVersion | None:
    """Publish the draft as :func:`gardien.policy.services.publish` does, with the English
    note beside the French one; None when the draft says nothing new. ``expected_hash``: the
    draft the person confirmed (a manifest changed since is refused)."""
    with transaction.atomic(), trail.publishing_as(actor or Actor.system()):
        version = policy.publish(path, note=note, expected_hash=expected_hash)
        if version is not None and note_en.strip():
            version.note_en = note_en.strip()
            version.save(update_fields=["note_en"])
    return version
