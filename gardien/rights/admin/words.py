"""The case page in words: dates and moments, the rights asked, the timeline's steps
(:data:`EVENT_WORDS`) and their notes, the Art. 19 notices' actions, a proof of identity's
type, and who each actor is."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.lib import when
from gardien.rights import recipients, rectify, services
from gardien.rights.models import CaseEvent, Channel, Right
from gardien.vault.models import Restriction


def _day(value: dt.datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT") if value else ""


def _moment(value: dt.datetime | None) -> str:
    """An instant of the case in the organisation's zone, the zone named (gardien.lib.when)."""
    return when.display(value, empty="")


def _rights_in_words(codes: list[str]) -> str:
    return ", ".join(str(services.right_label(code)) for code in codes)


def _activities() -> list[tuple[str, str]]:
    """The published policy's activities: (id, name in the language of the page)."""
    from gardien.policy import services as policy

    manifest = policy.published_manifest()
    if manifest is None:
        return []
    lang = translation.get_language() or "fr"
    return [(a.id, a.name.get(lang[:2])) for a in manifest.activities]


#: What each step of the timeline means (CaseEvent.kind).
EVENT_WORDS: dict[str, Promise] = {
    "received": gettext_lazy("request received"),
    "verified": gettext_lazy("identity verified"),
    "extended": gettext_lazy("deadline extended, the person told why"),
    "refused": gettext_lazy("request refused, the person told why"),
    "closed": gettext_lazy("request closed"),
    "identity_document_destroyed": gettext_lazy("proof of identity destroyed"),
    "access_sent": gettext_lazy("link to a copy of the data sent (access)"),
    "portability_sent": gettext_lazy("link to the data in a reusable format sent (portability)"),
    "access_downloaded": gettext_lazy("the person downloaded the copy of their data"),
    "portability_downloaded": gettext_lazy("the person downloaded their data (portability)"),
    "erased": gettext_lazy("data erased, the processors and the person told"),
    "restriction_nothing_held": gettext_lazy(
        "restriction asked, but no data is held about the person"
    ),
    "restricted": gettext_lazy("processing restricted, the person told"),
    "lift_announced": gettext_lazy("the person is told that the restriction will be lifted"),
    "restriction_lifted": gettext_lazy("restriction lifted"),
    "objection_unsubscribed": gettext_lazy("objection: unsubscribed from the newsletter"),
    "objection_restricted": gettext_lazy(
        "objection: the data restricted while the compelling grounds are examined"
    ),
    "objection_erased": gettext_lazy("objection: the data of the activity erased"),
    "withdrawn": gettext_lazy("consent withdrawn"),
    "identity_asked": gettext_lazy("proof of identity asked, the person told why"),
    "identity_received": gettext_lazy("proof of identity received"),
    rectify.CONTESTED: gettext_lazy(
        "the person contests the accuracy of their data: processing restricted until the "
        "DPO decides"
    ),
    rectify.RECTIFIED: gettext_lazy("data rectified, the person told"),
    rectify.DECIDED: gettext_lazy("contested accuracy decided, the person told"),
    recipients.SYNCED: gettext_lazy("recipient told through the processor sync (Art. 19)"),
    recipients.TO_TELL: gettext_lazy("recipient to tell (Art. 19)"),
    recipients.TOLD: gettext_lazy("recipient told by the DPO (Art. 19)"),
}

#: The actions an Art. 19 notice passes on, in words.
NOTICE_ACTIONS: dict[str, Promise] = {
    Right.RECTIFICATION: gettext_lazy("rectification"),
    Right.ERASURE: gettext_lazy("erasure"),
    Right.RESTRICTION: gettext_lazy("restriction"),
}
#: A received proof of identity's type, in words.
DOCUMENT_TYPES: dict[str, Promise] = {
    "image/jpeg": gettext_lazy("a JPEG picture"),
    "image/png": gettext_lazy("a PNG picture"),
    "application/pdf": gettext_lazy("a PDF document"),
}
_RECIPIENT_NOTE = re.compile(r"(?P<action>[a-z_]+): (?P<id>\S+) \((?P<name>.*)\)")


def _lang() -> str:
    return (translation.get_language() or "fr")[:2]


def _note_in_words(event: CaseEvent, activities: dict[str, str]) -> str:
    """The note of a step, its codes in words where we know them."""
    note = event.note
    if event.kind == "received":
        found = re.fullmatch(r"(.*) \((\w+)\)", note)
        if found:
            codes = [c.strip() for c in found.group(1).split(",") if c.strip()]
            channel = dict(Channel.choices).get(found.group(2), found.group(2))
            return f"{_rights_in_words(codes)} ({channel})"
    grounds = dict(Restriction.Ground.choices)
    if event.kind == "restricted":
        return str(grounds.get(note, note))
    if event.kind == "restriction_lifted" and not note:
        return _("every activity")
    if event.kind.startswith("objection_") or event.kind == "restriction_lifted":
        return str(grounds.get(note) or activities.get(note, note))
    if event.kind == rectify.CONTESTED:
        return activities.get(note, note) if note else _("every activity")
    if event.kind == rectify.RECTIFIED:
        return ", ".join(rectify.field_labels(note, _lang())) if note else ""
    if event.kind == rectify.DECIDED:
        return {
            "accurate": _("found accurate: nothing corrected"),
            "inaccurate": _("found inaccurate: corrected"),
        }.get(note, note)
    if event.kind in (recipients.SYNCED, recipients.TO_TELL, recipients.TOLD):
        found = _RECIPIENT_NOTE.fullmatch(note)
        if found:
            action = NOTICE_ACTIONS.get(found["action"], found["action"])
            return f"{action}: {found['name']}"
    if event.kind == "identity_received":
        return str(DOCUMENT_TYPES.get(note, note))
    return note


def _actors(refs: set[str]) -> dict[str, str]:
    """Who each actor is, in words: a staff account's name, Gardien, the person."""
    staff_ids = [int(ref) for ref in refs if ref.isdigit()]
    names = {
        str(pk): username
        for pk, username in get_user_model()
        .objects.filter(pk__in=staff_ids)
        .values_list("pk", get_user_model().USERNAME_FIELD)
    }
    words: dict[str, str] = {}
    for ref in refs:
        if ref == "system":
            words[ref] = _("Gardien, automatically")
        elif ref.isdigit():
            words[ref] = names.get(ref) or _("a staff account since removed")
        else:
            words[ref] = _("the person")
    return words
