"""Substantial changes between two versions of the policy: a processing added or removed, or
one whose purpose, legal basis, recipients or retention changed. These are the changes the
people concerned are told of (GDPR Art. 13(3) and 14(4), and the transparency guidelines):
the policy page shows them for NOTICE_DAYS after publication, and the newsletter prepares
an email to its subscribers (``gardien newsletter notify-policy-change``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from gardien.lib import clock
from gardien.manifest import Manifest
from gardien.policy import document
from gardien.policy import services as policy

#: How long the policy page shows what changed in a substantial change.
NOTICE_DAYS = 30


def substantial(old: Manifest, new: Manifest, lang: str) -> list[str]:
    """One sentence per substantial change from ``old`` to ``new``, in ``lang``."""
    before = {a.id: a for a in document.activities(old, lang)}
    after = {a.id: a for a in document.activities(new, lang)}
    lines: list[str] = []
    with translation.override(lang):
        for key, activity in after.items():
            previous = before.get(key)
            if previous is None:
                lines.append(_("New processing: %(name)s.") % {"name": activity.name})
                continue
            name = activity.name
            if previous.purpose != activity.purpose:
                lines.append(_("%(name)s: its purpose changed.") % {"name": name})
            if previous.basis_key != activity.basis_key:
                lines.append(
                    _("%(name)s: its legal basis is now %(basis)s.")
                    % {"name": name, "basis": activity.basis}
                )
            old_recipients = {r.id: r.name for r in previous.recipients}
            new_recipients = {r.id: r.name for r in activity.recipients}
            for rid in sorted(new_recipients.keys() - old_recipients.keys()):
                lines.append(
                    _("%(name)s: new recipient %(recipient)s.")
                    % {"name": name, "recipient": new_recipients[rid]}
                )
            for rid in sorted(old_recipients.keys() - new_recipients.keys()):
                lines.append(
                    _("%(name)s: %(recipient)s no longer receives your data.")
                    % {"name": name, "recipient": old_recipients[rid]}
                )
            if previous.retention != activity.retention:
                lines.append(
                    _("%(name)s: now kept %(retention)s.")
                    % {"name": name, "retention": activity.retention}
                )
        for key, activity in before.items():
            if key not in after:
                lines.append(_("Processing stopped: %(name)s.") % {"name": activity.name})
    return lines


@dataclass(frozen=True)
class Notice:
    number: int
    published_at: dt.datetime
    lines: list[str]


def latest_notice(lang: str, *, within_days: int | None = NOTICE_DAYS) -> Notice | None:
    """The substantial changes of the latest version against the one before, while they are
    recent (``within_days``; None: however old); None when there are none."""
    current = policy.published()
    if current is None or current.number < 2:
        return None
    if within_days is not None and clock.now() - current.published_at > dt.timedelta(
        days=within_days
    ):
        return None
    previous = policy.version(current.number - 1)
    if previous is None:
        return None
    lines = substantial(previous.manifest, current.manifest, lang)
    return Notice(current.number, current.published_at, lines) if lines else None
