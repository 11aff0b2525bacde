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
    number: int  # the version in force
    since: int  # the version the changes are counted from
    published_at: dt.datetime  # when the latest substantial change was published
    lines: list[str]


def _substantial_versions(newest: int, oldest_date: dt.datetime | None) -> list[int]:
    """The versions from ``newest`` down whose publication changed something substantial
    against the version before, published on or after ``oldest_date`` (None: any)."""
    found = []
    for number in range(newest, 1, -1):
        current, previous = policy.version(number), policy.version(number - 1)
        if current is None or previous is None:
            break
        if oldest_date is not None and current.published_at < oldest_date:
            break
        if substantial(previous.manifest, current.manifest, "en"):
            found.append(number)
    return found


def notice_since(since: int, lang: str) -> Notice | None:
    """What changed substantially from version ``since`` to the version in force."""
    current, base = policy.published(), policy.version(since)
    if current is None or base is None or since >= current.number:
        return None
    lines = substantial(base.manifest, current.manifest, lang)
    if not lines:
        return None
    dated = _substantial_versions(current.number, None)
    published_at = policy.version(dated[0]).published_at if dated else current.published_at  # type: ignore[union-attr]
    return Notice(current.number, since, published_at, lines)


def latest_notice(lang: str, *, within_days: int = NOTICE_DAYS) -> Notice | None:
    """For the policy page: the substantial changes published in the last ``within_days``,
    counted from the version before the first of them to the version in force (a small
    publication after a substantial one does not hide it)."""
    current = policy.published()
    if current is None or current.number < 2:
        return None
    recent = _substantial_versions(current.number, clock.now() - dt.timedelta(days=within_days))
    if not recent:
        return None
    return notice_since(min(recent) - 1, lang)


def last_substantial_baseline() -> int | None:
    """The version before the most recent substantial change, however old."""
    current = policy.published()
    if current is None:
        return None
    found = _substantial_versions(current.number, None)
    return found[0] - 1 if found else None
