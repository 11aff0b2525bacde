"""Who received a person's data, and telling them of a rectification, an erasure or a
restriction (GDPR Art. 19): the one place for that list.

    from gardien.rights import recipients

    recipients.who_received(person)                  # [Recipient(id, name, entity, country, …)]
    recipients.notify(request, Right.ERASURE, actor=…, activity=None, person=None)
    recipients.notices(request) / recipients.outstanding(request)
    recipients.mark_told(request, "google", actor=…) # the DPO told that recipient
    recipients.for_person_letter(request)            # the list the person can be told

**Who.** The recipients are read from the published manifest: for each activity in which the
person has a registered record (``vault.find_everything``), the processors its
``recipients`` name, in the order of ``[[processors]]``.

**Telling them.** The newsletter's processor (``[newsletter] processor``, e.g. Brevo), when
its sync is switched on, is told by that sync, which every change to the list already goes
through (an erasure, a restriction, a change of address), in the same transaction: its
notice is recorded as *told through the processor sync*. Gardien has no API to any other
processor: each gets a notice *to tell* on the case's timeline, which the DPO marks *told*
(:func:`mark_told`) once they have written to it. A notice names the processor and the
action, never a personal value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.audit.services import Actor
from gardien.policy import services as policy
from gardien.rights.models import CaseEvent, Right, RightsRequest
from gardien.rights.services import RightsError, _audit, event
from gardien.vault import services as vault
from gardien.vault.models import Person

#: The timeline's kinds of an Art. 19 notice.
SYNCED = "recipient_synced"
TO_TELL = "recipient_to_tell"
TOLD = "recipient_told"
#: The actions Art. 19 asks to pass on.
ACTIONS = (Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION)

_NOTE = re.compile(r"^(?P<action>[a-z_]+): (?P<id>[a-z][a-z0-9_-]{0,62}) \((?P<name>.*)\)$")


@dataclass(frozen=True)
class Recipient:
    """A processor that received the person's data, as the manifest names it."""

    id: str
    name: str
    entity: str
    country: str
    activities: tuple[str, ...] = ()


class State(TextChoices):
    SYNCED = "synced", gettext_lazy("told through the processor sync")
    TO_TELL = "to_tell", gettext_lazy("to tell")
    TOLD = "told", gettext_lazy("told")


@dataclass(frozen=True)
class Notice:
    """One recipient to be told of one action on this case, and whether it was."""

    recipient: str
    name: str
    action: str
    state: str
    at: dt.datetime
    told_at: dt.datetime | None = None
    told_by: str = ""

    @property
    def state_label(self) -> str:
        return str(State(self.state).label)


# --- who -------------------------------------------------------------------------------


def who_received(
    person: Person | None, *, activities: Collection[str] | None = None
) -> list[Recipient]:
    """The processors that received ``person``'s data: those the published manifest names
    for each activity in which the person has a record (only ``activities``, when given)."""
    manifest = policy.published_manifest()
    if manifest is None or person is None:
        return []
    held = {found.activity for found in vault.find_everything(person)}
    if activities is not None:
        held &= set(activities)
    received: dict[str, list[str]] = {}
    for activity in manifest.activities:
        if activity.id in held:
            for processor_id in activity.recipients:
                received.setdefault(processor_id, []).append(activity.id)
    return [
        Recipient(p.id, p.name, p.entity, p.country, tuple(received[p.id]))
        for p in manifest.processors
        if p.id in received
    ]


def _person(request: RightsRequest) -> Person | None:
    if request.person_id is not None:
        return vault.person_by_id(request.person_id)
    return vault.find_person(request.email) if request.email else None


def _synced_processor() -> str | None:
    """The processor whose copy the newsletter's sync keeps in step, when switched on."""
    from gardien.newsletter import services as newsletter

    return newsletter.processor_id()


# --- telling them ----------------------------------------------------------------------


def _note(action: str, recipient_id: str, name: str) -> str:
    return f"{action}: {recipient_id} ({name.replace('@', ' at ')})"


def notify(
    request: RightsRequest,
    action: str,
    *,
    actor: Actor,
    activity: str | None = None,
    person: Person | None = None,
) -> list[Notice]:
    """Record the Art. 19 notice of ``action`` (rectification, erasure, restriction) for each
    recipient of the person's data (of ``activity`` only, when given). Call it inside the
    transaction of the action and, for an erasure, before the records go."""
    found = person if person is not None else _person(request)
    return notify_recipients(
        request,
        action,
        who_received(found, activities=[activity] if activity else None),
        actor=actor,
    )


def notify_recipients(
    request: RightsRequest, action: str, recipients: list[Recipient], *, actor: Actor
) -> list[Notice]:
    """:func:`notify` for a list already drawn up (a rectification of some activities)."""
    if action not in ACTIONS:
        raise ValueError(f"Art. 19 concerns {', '.join(ACTIONS)}, not {action!r}")
    synced = _synced_processor()
    done = []
    with transaction.atomic():
        for recipient in recipients:
            kind = SYNCED if recipient.id == synced else TO_TELL
            row = event(request, kind, actor, note=_note(action, recipient.id, recipient.name))
            done.append(
                Notice(
                    recipient.id,
                    recipient.name,
                    action,
                    State.SYNCED if kind == SYNCED else State.TO_TELL,
                    row.at,
                )
            )
    return done


def notices(request: RightsRequest) -> list[Notice]:
    """The case's Art. 19 notices, oldest first: each recipient, the action, when, and
    whether it was told (by the sync, or by the DPO and when)."""
    rows = CaseEvent.objects.filter(request=request, kind__in=(SYNCED, TO_TELL, TOLD)).order_by(
        "at", "pk"
    )
    found: list[Notice] = []
    for row in rows:
        parsed = _NOTE.match(row.note)
        if parsed is None:
            continue
        action, recipient_id, name = parsed["action"], parsed["id"], parsed["name"]
        if row.kind == TOLD:
            for index, notice in enumerate(found):
                waiting = notice.state == State.TO_TELL
                if waiting and (notice.recipient, notice.action) == (recipient_id, action):
                    found[index] = Notice(
                        notice.recipient,
                        notice.name,
                        notice.action,
                        State.TOLD,
                        notice.at,
                        row.at,
                        row.actor,
                    )
                    break
            continue
        state = State.SYNCED if row.kind == SYNCED else State.TO_TELL
        found.append(Notice(recipient_id, name, action, state, row.at))
    return found


def outstanding(request: RightsRequest) -> list[Notice]:
    """The notices the DPO still has to send."""
    return [n for n in notices(request) if n.state == State.TO_TELL]


def mark_told(request: RightsRequest, recipient_id: str, *, actor: Actor) -> list[Notice]:
    """The DPO told ``recipient_id`` (a processor id of the manifest) of every action still
    waiting for it on this case: recorded on the timeline, with when and by whom."""
    with transaction.atomic():
        RightsRequest.objects.select_for_update().filter(pk=request.pk).first()
        waiting = [n for n in outstanding(request) if n.recipient == recipient_id]
        if not waiting:
            raise RightsError(
                _("Nothing is waiting to be told to %(recipient)s on this request.")
                % {"recipient": recipient_id}
            )
        for notice in waiting:
            event(request, TOLD, actor, note=_note(notice.action, notice.recipient, notice.name))
        _audit(actor, "recipient_told", request, recipient_id)
    return [n for n in notices(request) if n.recipient == recipient_id]


# --- telling the person ----------------------------------------------------------------


def for_person_letter(request: RightsRequest, *, action: str | None = None) -> list[Recipient]:
    """The recipients the person can be told of (Art. 19, last sentence): those this case's
    notices (of ``action``, when given) went to, as the published manifest describes them;
    before any notice, those that received the person's data."""
    named: dict[str, str] = {}
    for notice in notices(request):
        if action is None or notice.action == action:
            named.setdefault(notice.recipient, notice.name)
    if not named:
        return who_received(_person(request))
    manifest = policy.published_manifest()
    listed: list[Recipient] = []
    for recipient_id, name in named.items():
        processor: Any = None
        if manifest is not None:
            processor = next((p for p in manifest.processors if p.id == recipient_id), None)
        if processor is None:  # no longer in the manifest: its name as the notice kept it
            listed.append(Recipient(recipient_id, name, "", ""))
        else:
            listed.append(
                Recipient(processor.id, processor.name, processor.entity, processor.country)
            )
    return listed
