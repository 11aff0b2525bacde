"""Rights requests in the back office: the DPO's queue, a case page per request, a form to
enter a request that came by email or post, and a word on the dashboard.

- **Queue** (``/admin/rights/rightsrequest/``): open requests first, the soonest deadline
  first, flagged overdue or due soon by :func:`services.queue`; state, channel, rights in
  words, received; filters by state, channel, open or closed; search by reference. No name or
  address is listed.
- **Case page** (``/admin/rights/rightsrequest/<id>/change/``): what the requester wrote, the
  dates, the timeline, and the actions. Each action is a small form posted to the same page
  with ``action=<name>`` (verify, identity, extend, access, portability, contest,
  rectify_preview, decide, erase, restrict, lift, object, withdraw, refuse, close; rectify and
  mark_told from the blocks that offer them); it calls :mod:`services`, :mod:`fulfil`,
  :mod:`rectify`, :mod:`recipients` or :mod:`identity` as the staff account, and the page shows
  the sentence of a :class:`RightsError` (nothing changed) or what was done. Every opening of a
  case page is audited.
- **Rectification** in two steps: the record and the field chosen in words among the
  person's records, the new value; the first POST shows old → new (nothing changed, the
  reading audited), the second applies it. While the person contests accuracy, the decision.
- **Art. 19 notices**: each recipient told of an erasure, a restriction or a rectification,
  how, and a "Mark as told" button for those the DPO writes to.
- **Proof of identity** (``/admin/rights/rightsrequest/<id>/identity/``): asked with a reason,
  and once received, answered as an attachment to the DPO only, each reading audited.
- **Enter a request** (``/admin/rights/rightsrequest/add/``): one that arrived by email or
  post, filed through :func:`services.create`.
- **Dashboard**: open, overdue and due-soon counts, for those who may open the queue only.

Only the DPO role (and a superuser) sees anything here: ``roles.py`` never gives the
permissions of the ``rights`` app to another role. Acting needs
``rights.change_rightsrequest``, entering a request ``rights.add_rightsrequest``; nothing is
deleted by hand.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.audit.services import Actor, record
from gardien.backoffice.site import add_dashboard_block
from gardien.lib import clock
from gardien.rights import fulfil, identity, recipients, rectify, services
from gardien.rights.models import (
    CaseEvent,
    Channel,
    IdentityDocument,
    Right,
    RightsRequest,
)
from gardien.rights.rectify import Correction
from gardien.rights.services import RightsError
from gardien.vault import services as vault
from gardien.vault.fields import EncryptedTextField
from gardien.vault.models import Person, Restriction
from gardien.vault.registry import DECLARED_FIELDS

VIEW_PERMISSION = "rights.view_rightsrequest"
#: Reading a proof of identity: only the DPO role holds it (roles.SENSITIVE_MODELS).
IDENTITY_PERMISSION = "rights.view_identitydocument"
State = RightsRequest.State

# --- words ------------------------------------------------------------------------------


def _day(value: dt.datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT") if value else ""


def _moment(value: dt.datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


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


# --- the queue --------------------------------------------------------------------------


class OpenFilter(admin.SimpleListFilter):
    title = gettext_lazy("open or closed")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", gettext_lazy("open")), ("no", gettext_lazy("closed"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RightsRequest]
    ) -> QuerySet[RightsRequest]:
        if self.value() in ("yes", "no"):
            return queryset.filter(closed_at__isnull=self.value() == "yes")
        return queryset


def _deadline_column() -> Callable[[RightsRequest], str]:
    """The list's "deadline" column: the date with its flag, as :func:`services.queue` sets
    it (asked once per page, when the first row is shown)."""
    flags: list[dict[Any, services.Queued]] = []

    @admin.display(description=gettext_lazy("deadline"))
    def deadline(obj: RightsRequest) -> str:
        if not flags:
            flags.append({q.request.pk: q for q in services.queue()})
        queued = flags[0].get(obj.pk)
        day = _day(obj.deadline)
        if obj.extended_to is not None:
            day = _("%(day)s (extended)") % {"day": day}
        if queued is not None and queued.overdue:
            return format_html(
                '{} <strong class="rights-flag rights-overdue">{}</strong>', day, _("overdue")
            )
        if queued is not None and queued.due_soon:
            return format_html(
                '{} <strong class="rights-flag rights-due-soon">{}</strong>', day, _("due soon")
            )
        return day

    return deadline


# --- actions ----------------------------------------------------------------------------


class ActionForm(forms.Form):
    """Every action asks to tick its confirmation sentence (a preview, which changes
    nothing, does not: ``confirmed = False``). ``case`` is the request acted on."""

    confirm = forms.BooleanField(
        required=True,
        error_messages={"required": gettext_lazy("Tick the box to confirm; nothing was done.")},
    )
    confirmed = True

    def __init__(
        self, *args: Any, sentence: str = "", case: RightsRequest | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        if self.confirmed:
            self.fields["confirm"].label = sentence
        else:
            del self.fields["confirm"]


class VerifyForm(ActionForm):
    how = forms.CharField(
        label=gettext_lazy("How did you verify the person's identity?"),
        help_text=gettext_lazy(
            "For example: “signed letter compared with the one on file”, “known "
            "correspondent, answered from the address on file”. Written in the timeline: "
            "no email address, no document number."
        ),
        max_length=200,
        required=False,
    )

    def clean_how(self) -> str:
        how: str = self.cleaned_data["how"]
        if "@" in how:
            raise forms.ValidationError(
                _(
                    "Do not write an email address here: the timeline keeps no personal "
                    "value. Say how, not who."
                )
            )
        return how


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reasons, as the person will read them"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class EraseForm(ActionForm):
    activity = forms.ChoiceField(
        label=gettext_lazy("What to erase"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose what to erase from the list.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = ("", _("everything held about the person, in every activity"))
        self.fields["activity"].choices = [everything, *_activities()]  # type: ignore[attr-defined]


class RestrictForm(ActionForm):
    ground = forms.ChoiceField(
        label=gettext_lazy("Why processing is restricted (Art. 18(1))"),
        choices=Restriction.Ground.choices,
        error_messages={
            "required": gettext_lazy("Choose the ground of the restriction."),
            "invalid_choice": gettext_lazy("Choose the ground of the restriction from the list."),
        },
    )


class ObjectForm(ActionForm):
    activity = forms.ChoiceField(
        label=gettext_lazy("The processing the person objects to"),
        error_messages={
            "required": gettext_lazy("Choose the processing the person objects to."),
            "invalid_choice": gettext_lazy("Choose the processing from the list."),
        },
    )
    compelling = forms.CharField(
        label=gettext_lazy("Compelling legitimate grounds (optional)"),
        help_text=gettext_lazy(
            "Leave empty to erase the data of this processing. Write the grounds only if the "
            "organisation has compelling reasons that override the person's interests: the "
            "data is then restricted while you examine them. Never for the newsletter."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].choices = [("", "—"), *_activities()]  # type: ignore[attr-defined]


class IdentityForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Your reasonable doubt about the person's identity"),
        help_text=gettext_lazy(
            "Recorded on the request and told to the person, in these words. A proof is asked "
            "only with a reasonable doubt; it is destroyed when the request closes."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy(
                "Give the reason for the doubt about the person's identity: a proof is asked "
                "only with a reasonable doubt, and the person is told why."
            )
        },
    )


class ContestForm(ActionForm):
    activity = forms.ChoiceField(
        label=gettext_lazy("The data contested"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose the data contested from the list.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = ("", _("everything held about the person, in every activity"))
        self.fields["activity"].choices = [everything, *_activities()]  # type: ignore[attr-defined]


class DecideForm(ActionForm):
    accurate = forms.ChoiceField(
        label=gettext_lazy("Your decision"),
        choices=[
            ("yes", gettext_lazy("The data is accurate: nothing to correct.")),
            ("no", gettext_lazy("The data was not accurate: the corrections are applied.")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Say whether the data was accurate."),
            "invalid_choice": gettext_lazy("Say whether the data was accurate."),
        },
    )


@dataclass(frozen=True)
class Target:
    """One of the person's records a correction can name, in words, and its fields."""

    record: str  # the model's label
    pk: str
    words: str
    fields: tuple[tuple[str, str], ...]  # (field, in words)

    @property
    def key(self) -> str:
        return f"{self.record}:{self.pk}"


#: Fields of a record that staff wrote, not the person: not offered for a correction.
STAFF_WRITTEN: dict[str, frozenset[str]] = {
    RightsRequest._meta.label_lower: frozenset(
        {"extension_reason", "doubt_reason", "refusal_reason", "grounds"}
    ),
}


def _person_of(case: RightsRequest) -> Person | None:
    if case.person_id is not None:
        return vault.person_by_id(case.person_id)
    return vault.find_person(case.email) if case.email else None


def _record_words(found: vault.Found) -> str:
    registration, obj = found.registration, found.obj
    if registration.model is Person:
        return _("The person's own record (their email address)")
    what = capfirst(str(registration.model._meta.verbose_name))
    reference = getattr(obj, "reference", "")
    if reference:
        what = f"{what} {reference}"
    stamp = getattr(obj, registration.timestamp, None) if registration.timestamp else None
    if isinstance(stamp, dt.datetime):
        return _("%(record)s, %(day)s") % {"record": what, "day": _day(stamp)}
    return what


def _targets(case: RightsRequest) -> list[Target]:
    """The person's records a correction can name (:func:`rectify.preview` checks again), each
    with its fields in words: the declared fields of a form's answers, the encrypted values of
    the others; never a hash, a file, a date, what staff wrote, or an address kept elsewhere."""
    from gardien.policy import services as policy

    person = _person_of(case)
    if person is None:
        return []
    manifest = policy.published_manifest()
    lang = _lang()
    found: list[Target] = []
    for item in vault.find_everything(person):
        registration, obj = item.registration, item.obj
        label = registration.label
        if label in rectify.NOT_CORRECTED:
            continue
        fields: list[tuple[str, str]] = []
        model_fields = {f.name for f in obj._meta.get_fields()}
        for name, declared in registration.stored.items():
            if declared == DECLARED_FIELDS:
                if manifest is None or registration.activity is None:
                    continue
                try:
                    activity = manifest.activity(registration.activity)
                except (KeyError, StopIteration):
                    continue
                fields.extend(
                    (spec.name, spec.label.get(lang))
                    for spec in activity.fields
                    if spec.input not in ("file", "generated", "email")
                    and spec.name not in model_fields
                )
                continue
            if name in STAFF_WRITTEN.get(label, ()):
                continue
            if not isinstance(obj._meta.get_field(name), EncryptedTextField):
                continue
            if declared == "email" and registration.model is not Person:
                continue  # the address is kept, and corrected, on the person
            if registration.model is Person:
                words = next(iter(rectify.field_labels(f"{label}.{name}", lang)), name)
            else:
                words = capfirst(str(obj._meta.get_field(name).verbose_name))  # type: ignore[union-attr]
            fields.append((name, words))
        if fields:
            found.append(Target(label, str(obj.pk), _record_words(item), tuple(fields)))
    return found


class CorrectionForm(ActionForm):
    """The first step of a correction: what to correct, and the value it should hold; the
    preview it leads to changes nothing."""

    confirmed = False
    record = forms.ChoiceField(
        label=gettext_lazy("The record to correct"),
        error_messages={
            "required": gettext_lazy("Choose the record to correct."),
            "invalid_choice": gettext_lazy("Choose the record to correct from the list."),
        },
    )
    field = forms.ChoiceField(
        label=gettext_lazy("The value to correct"),
        help_text=gettext_lazy("Listed under each record: choose one of the record chosen."),
        error_messages={
            "required": gettext_lazy("Choose the value to correct."),
            "invalid_choice": gettext_lazy("Choose the value to correct from the list."),
        },
    )
    value = forms.CharField(
        label=gettext_lazy("The correct value"),
        help_text=gettext_lazy("You see the value now and this one side by side before applying."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = _targets(self.case) if self.case is not None else []
        self.fields["record"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(t.key, t.words) for t in self.targets],
        ]
        self.fields["field"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(t.words, list(t.fields)) for t in self.targets],
        ]
        if not self.targets:
            self.fields["record"].help_text = _(
                "Gardien holds no data about the person of this request: there is nothing to "
                "correct here."
            )

    def clean_value(self) -> str:
        return str(self.cleaned_data["value"]).replace("\r\n", "\n")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        target = next((t for t in self.targets if t.key == cleaned.get("record")), None)
        name = cleaned.get("field")
        if self.errors or target is None or not name:
            return cleaned
        words = dict(target.fields).get(name)
        if words is None:
            raise forms.ValidationError(
                _("This value is not one of the record chosen: choose one listed under %(record)s.")
                % {"record": target.words}
            )
        cleaned["correction"] = Correction(
            field=name, value=cleaned.get("value", ""), record=target.record, pk=target.pk
        )
        cleaned["words"] = (target.words, words)
        return cleaned


class ApplyCorrectionForm(CorrectionForm):
    """The second step: the correction previewed, carried in hidden fields, confirmed."""

    confirmed = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("record", "field", "value"):
            self.fields[name].widget = forms.HiddenInput()


class MarkToldForm(ActionForm):
    recipient = forms.CharField(
        widget=forms.HiddenInput,
        max_length=63,
        error_messages={"required": gettext_lazy("Say which recipient was told.")},
    )


Run = Callable[[RightsRequest, dict[str, Any], Actor], str]


def _verify(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.mark_verified(case, actor=actor, how=data["how"])
    return _("The identity is recorded as verified. You can now answer the request.")


def _extend(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.extend(case, reason=data["reason"], actor=actor)
    return _("The deadline is now %(day)s. The person is sent the reasons by email.") % {
        "day": _day(case.extended_to)
    }


def _refuse(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.refuse(case, reason=data["reason"], actor=actor)
    return _(
        "The request is refused and closed. The person is sent the reasons and how to "
        "complain to the supervisory authority."
    )


def _package(kind: str) -> Run:
    def run(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
        fulfil.send_package(case, kind=kind, actor=actor)
        return _(
            "The person is being sent a single-use link to their data (or, when we hold "
            "nothing about them, a letter saying so)."
        )

    return run


def _erase(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    counts = fulfil.erase(case, actor=actor, activity=data["activity"] or None)
    total = sum(counts.values())
    return ngettext(
        "Erased: %(count)d record. The processors holding a copy and the person are told.",
        "Erased: %(count)d records. The processors holding a copy and the person are told.",
        total,
    ) % {"count": total}


def _restrict(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    if fulfil.restrict(case, actor=actor, ground=data["ground"]):
        return _("Processing is restricted. The person is told by email.")
    return _(
        "We hold no data about this person: there was nothing to restrict. The timeline says so."
    )


def _lift(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    fulfil.lift(case, actor=actor)
    return _(
        "The person is being told that the restriction will be lifted; it is lifted as soon "
        "as the email is sent."
    )


def _object(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    done = fulfil.object_to(
        case, activity=data["activity"], actor=actor, compelling=data["compelling"]
    )
    return {
        "unsubscribed": _("The person is unsubscribed from the newsletter, and told."),
        "restricted": _(
            "The data of this processing is restricted while you examine the compelling "
            "grounds. The person is told."
        ),
        "erased": _("The data of this processing is erased. The person is told."),
    }.get(done, done)


def _withdraw(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    fulfil.withdraw(case, actor=actor)
    return _("Consent is withdrawn, as the unsubscribe link would. The person is told.")


def _ask_identity(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    return identity.ask(case, reason=data["reason"], actor=actor).message


def _contest(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    rectify.contest(case, actor=actor, activity=data["activity"] or None)
    return _(
        "Processing is restricted while you check the accuracy contested; the restriction "
        "holds until you decide. The person is told by email; the recipients to tell are "
        "listed below."
    )


def _rectify(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    rectify.apply(case, [data["correction"]], actor=actor)
    record_words, field_words = data["words"]
    return _(
        "Corrected: %(field)s of %(record)s. The person is told by email; the recipients to "
        "tell are listed below."
    ) % {"field": field_words, "record": record_words}


def _decide(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    accurate = data["accurate"] == "yes"
    rectify.decide(case, accurate=accurate, actor=actor)
    if accurate:
        return _(
            "Your decision is recorded: the data is accurate. The person is being told; the "
            "restriction is lifted as soon as the email is sent."
        )
    return _(
        "Your decision is recorded: the data was corrected. The person is being told; the "
        "restriction is lifted as soon as the email is sent."
    )


def _mark_told(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    told = recipients.mark_told(case, data["recipient"], actor=actor)
    name = told[0].name if told else data["recipient"]
    return _("%(recipient)s is recorded as told, with the date and your name.") % {
        "recipient": name
    }


def _close(case: RightsRequest, data: dict[str, Any], actor: Actor) -> str:
    services.close(case, actor=actor)
    return _("The request is closed. A proof of identity, if there was one, is destroyed.")


def _open(case: RightsRequest) -> bool:
    return case.closed_at is None


def _waiting(case: RightsRequest) -> bool:
    return _open(case) and case.state == State.AWAITING_VERIFICATION


def _verified(case: RightsRequest) -> bool:
    return _open(case) and case.state == State.VERIFIED


def _document_awaited(case: RightsRequest) -> bool:
    """Waiting for verification, and no proof of identity received yet."""
    received = IdentityDocument.objects.filter(request=case, uploaded_at__isnull=False)
    return _waiting(case) and not received.exists()


def _rectification(case: RightsRequest) -> bool:
    return _verified(case) and Right.RECTIFICATION in case.rights


def _never(case: RightsRequest) -> bool:
    return False


@dataclass(frozen=True)
class Action:
    name: str
    title: Promise
    explain: Promise
    confirm: Promise
    button: Promise
    form: type[ActionForm]
    shown: Callable[[RightsRequest], bool]
    run: Run
    #: The right asked that this action answers, if any.
    answers: str = ""
    #: Offered by its own block of the page (a preview, a notice), not in the actions' list.
    inline: bool = False


ACTIONS: tuple[Action, ...] = (
    Action(
        "verify",
        gettext_lazy("Record how the identity was verified"),
        gettext_lazy(
            "When the person did not follow the link sent to the address concerned (a letter, "
            "an address we do not hold), verify their identity another way and say how. Ask "
            "for a proof of identity only if you have a reasonable doubt."
        ),
        gettext_lazy("I verified the identity of the person as written above."),
        gettext_lazy("Record the verification"),
        VerifyForm,
        _waiting,
        _verify,
    ),
    Action(
        "identity",
        gettext_lazy("Ask for a proof of identity"),
        gettext_lazy(
            "Only with a reasonable doubt about who the person is, which you write below: it "
            "is recorded and told to them. With an email address, the person is sent a link "
            "to upload a JPEG, PNG or PDF; without one, ask by post. You can open the proof "
            "here once received; it is destroyed when the request closes."
        ),
        gettext_lazy("Ask the person for a proof of identity, for the reason written above."),
        gettext_lazy("Ask for a proof"),
        IdentityForm,
        _document_awaited,
        _ask_identity,
    ),
    Action(
        "extend",
        gettext_lazy("Extend the deadline"),
        gettext_lazy(
            "Only when the request is complex or there are many, only once, and only before "
            "the first due date passes. The new deadline is set by the policy; the person is "
            "sent the reasons."
        ),
        gettext_lazy("Extend the deadline and send the reasons to the person."),
        gettext_lazy("Extend"),
        ReasonForm,
        lambda case: _open(case) and case.extended_to is None,
        _extend,
    ),
    Action(
        "access",
        gettext_lazy("Send a copy of the data (access)"),
        gettext_lazy(
            "The person receives a single-use link to a letter and a file of everything we "
            "hold about them, in every activity. If we hold nothing, the letter says so."
        ),
        gettext_lazy("Send the person the link to a copy of their data."),
        gettext_lazy("Send the copy"),
        ActionForm,
        _verified,
        _package("access"),
        Right.ACCESS,
    ),
    Action(
        "portability",
        gettext_lazy("Send the data in a reusable format (portability)"),
        gettext_lazy(
            "The person receives a single-use link to the data they gave us themselves, as "
            "JSON and CSV files another service can read."
        ),
        gettext_lazy("Send the person the link to their data in a reusable format."),
        gettext_lazy("Send the data"),
        ActionForm,
        _verified,
        _package("portability"),
        Right.PORTABILITY,
    ),
    Action(
        "contest",
        gettext_lazy("Record that the person contests accuracy"),
        gettext_lazy(
            "When the person says their data is wrong, its processing is restricted (Art. "
            "18(1)(a)) while you check it: of every activity, or of the one chosen. The "
            "person and the recipients are told. Then correct what is wrong and decide."
        ),
        gettext_lazy("Restrict this data until I decide on its accuracy."),
        gettext_lazy("Record the contest"),
        ContestForm,
        lambda case: _rectification(case) and rectify.held_restriction(case) is None,
        _contest,
        Right.RECTIFICATION,
    ),
    Action(
        "rectify_preview",
        gettext_lazy("Correct a value"),
        gettext_lazy(
            "Choose the record and the value to correct, and write the correct value. You see "
            "the value now and the new one before anything changes; the person and the "
            "recipients are told once you apply it. The timeline names the field, never the "
            "values."
        ),
        gettext_lazy("Preview the correction"),
        gettext_lazy("Preview the correction"),
        CorrectionForm,
        _rectification,
        lambda case, data, actor: "",  # never run: the case page shows the preview
        Right.RECTIFICATION,
    ),
    Action(
        "rectify",
        gettext_lazy("Apply this correction"),
        gettext_lazy("Nothing is changed yet. Check the value now and the new one."),
        gettext_lazy("Apply this correction. The person and the recipients are told."),
        gettext_lazy("Apply this correction"),
        ApplyCorrectionForm,
        _never,
        _rectify,
        Right.RECTIFICATION,
        inline=True,
    ),
    Action(
        "decide",
        gettext_lazy("Decide on the contested accuracy"),
        gettext_lazy(
            "When you have checked the data the person contests: say whether it was accurate "
            "or, once the corrections are applied above, that it was not. The person is told "
            "the decision first, then the restriction is lifted (Art. 18(3))."
        ),
        gettext_lazy("Record my decision and tell the person before the restriction is lifted."),
        gettext_lazy("Record the decision"),
        DecideForm,
        lambda case: _verified(case) and rectify.pending(case),
        _decide,
        Right.RECTIFICATION,
    ),
    Action(
        "erase",
        gettext_lazy("Erase the data"),
        gettext_lazy(
            "Erases every record of the person (or of one activity), their pending newsletter "
            "sign-ups and, with a consent reference, their cookie proofs. The processors "
            "holding a copy are told, and the person by email. This request and its timeline "
            "are kept as the record of the answer. It cannot be undone."
        ),
        gettext_lazy("Erase this data now. I understand it cannot be undone."),
        gettext_lazy("Erase"),
        EraseForm,
        _verified,
        _erase,
        Right.ERASURE,
    ),
    Action(
        "restrict",
        gettext_lazy("Restrict processing"),
        gettext_lazy(
            "The data is kept but no longer used: no newsletter, nothing sent to processors. "
            "Under grounds (b) and (c) the retention purge keeps it too while the restriction "
            "lasts. The person is told by email."
        ),
        gettext_lazy("Restrict the processing of this person's data on the ground chosen."),
        gettext_lazy("Restrict"),
        RestrictForm,
        _verified,
        _restrict,
        Right.RESTRICTION,
    ),
    Action(
        "lift",
        gettext_lazy("Lift the restriction"),
        gettext_lazy(
            "The person must be told before a restriction is lifted (Art. 18(3)): Gardien "
            "sends the notice first and lifts the restriction as soon as it is sent."
        ),
        gettext_lazy("Tell the person, then lift the restriction."),
        gettext_lazy("Lift the restriction"),
        ActionForm,
        lambda case: _verified(case) and case.person_id is not None,
        _lift,
    ),
    Action(
        "object",
        gettext_lazy("Record an objection"),
        gettext_lazy(
            "To the newsletter: the person is unsubscribed at once, unconditionally. To "
            "another processing: its data is erased, unless you write compelling legitimate "
            "grounds, in which case it is restricted while you examine them. The person is "
            "told by email."
        ),
        gettext_lazy("Apply the objection to the processing chosen."),
        gettext_lazy("Apply the objection"),
        ObjectForm,
        _verified,
        _object,
        Right.OBJECTION,
    ),
    Action(
        "withdraw",
        gettext_lazy("Withdraw consent"),
        gettext_lazy(
            "Has the effect of the newsletter's unsubscribe link and, with a consent "
            "reference, of the withdrawal in the cookie window. The person is told by email."
        ),
        gettext_lazy("Withdraw the person's consent."),
        gettext_lazy("Withdraw consent"),
        ActionForm,
        _verified,
        _withdraw,
        Right.WITHDRAWAL,
    ),
    Action(
        "refuse",
        gettext_lazy("Refuse the request"),
        gettext_lazy(
            "Only when the request is manifestly unfounded or excessive, for example "
            "repetitive. The person is sent your reasons, and told they may complain to the "
            "supervisory authority and seek a judicial remedy. The request is then closed."
        ),
        gettext_lazy("Refuse this request and send the reasons to the person."),
        gettext_lazy("Refuse"),
        ReasonForm,
        _open,
        _refuse,
    ),
    Action(
        "close",
        gettext_lazy("Close the request"),
        gettext_lazy(
            "When everything asked is done. A proof of identity, if there is one, is "
            "destroyed now. The request and its timeline are kept as the record of the answer."
        ),
        gettext_lazy("Everything asked is done: close this request."),
        gettext_lazy("Close"),
        ActionForm,
        _open,
        _close,
    ),
    Action(
        "mark_told",
        gettext_lazy("Mark as told"),
        gettext_lazy("You wrote to this recipient about every action still waiting for it."),
        gettext_lazy("I told this recipient of every action still waiting for it."),
        gettext_lazy("Mark as told"),
        MarkToldForm,
        _never,
        _mark_told,
        inline=True,
    ),
)
BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}
PREVIEW = "rectify_preview"


def _form(
    action: Action,
    data: Any = None,
    case: RightsRequest | None = None,
    *,
    sentence: str = "",
    prefix_id: str = "",
    **kwargs: Any,
) -> ActionForm:
    return action.form(
        data,
        sentence=sentence or str(action.confirm),
        case=case,
        auto_id=f"id_{prefix_id or action.name}_%s",
        label_suffix="",
        **kwargs,
    )


# --- entering a request -------------------------------------------------------------------


class EnterForm(forms.Form):
    """A request that came by email or post, typed in by the DPO."""

    received_on = forms.DateField(
        label=gettext_lazy("Received on"),
        help_text=gettext_lazy(
            "The day the email or the letter arrived: the deadline counts from it."
        ),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={
            "required": gettext_lazy("Give the day the request arrived."),
            "invalid": gettext_lazy("This is not a date: write it like 2027-01-31."),
        },
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Received by"),
        choices=[(Channel.EMAIL, Channel.EMAIL.label), (Channel.POST, Channel.POST.label)],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Say whether the request came by email or by post."),
            "invalid_choice": gettext_lazy("Say whether the request came by email or by post."),
        },
    )
    rights = forms.MultipleChoiceField(
        label=gettext_lazy("The rights the person wishes to exercise"),
        choices=Right.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Tick at least one right.")},
    )
    email = forms.EmailField(
        label=gettext_lazy("Email address concerned"),
        help_text=gettext_lazy(
            "The address the request is about. Gardien sends it the acknowledgement and a link "
            "to confirm the request, and never to another address."
        ),
        required=False,
        error_messages={
            "invalid": gettext_lazy("This is not an email address: check it and try again.")
        },
    )
    reply_email = forms.EmailField(
        label=gettext_lazy("Email address it came from, if different"),
        help_text=gettext_lazy(
            "When someone writes about another address, this one gets only a generic reply "
            "that says nothing about the person."
        ),
        required=False,
        error_messages={
            "invalid": gettext_lazy("This is not an email address: check it and try again.")
        },
    )
    last_name = forms.CharField(label=gettext_lazy("Last name"), required=False)
    first_name = forms.CharField(label=gettext_lazy("First name"), required=False)
    postal_address = forms.CharField(
        label=gettext_lazy("Postal address"),
        help_text=gettext_lazy(
            "Needed when the person gave no email address: the answer goes by post."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    details = forms.CharField(
        label=gettext_lazy("What the person asks, in their words"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    consent_reference = forms.RegexField(
        label=gettext_lazy("Consent reference (optional)"),
        regex=r"^[A-Za-z0-9_-]{22}$",
        help_text=gettext_lazy(
            "The reference shown in the cookie window of the site, if the person quoted it."
        ),
        required=False,
        error_messages={
            "invalid": gettext_lazy("This is not a consent reference; copy it as shown.")
        },
    )
    lang = forms.ChoiceField(
        label=gettext_lazy("Language of the answers"),
        choices=[("fr", "Français"), ("en", "English")],
        initial="fr",
        error_messages={"required": gettext_lazy("Choose the language of the answers.")},
    )

    def clean_received_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["received_on"]
        if day > timezone.localtime(clock.now()).date():
            raise forms.ValidationError(
                _("A request cannot be received in the future; check the date.")
            )
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("email") and not cleaned.get("postal_address"):
            raise forms.ValidationError(
                _("Give an email or a postal address, so that the answer can be sent.")
            )
        return cleaned

    def received_at(self) -> dt.datetime:
        """Today: now. An earlier day: its noon, on the organisation's calendar."""
        day: dt.date = self.cleaned_data["received_on"]
        now = clock.now()
        if day == timezone.localtime(now).date():
            return now
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())
        return noon.astimezone(dt.UTC)


# --- the admin --------------------------------------------------------------------------


@admin.register(RightsRequest)
class RightsRequestAdmin(admin.ModelAdmin):
    """The DPO's queue and case pages. Nothing is edited or deleted by hand: every change is
    a step of :mod:`services` or :mod:`fulfil`, audited and written to the timeline."""

    list_display = ("reference", "state", "channel", "rights_in_words", "received_at")
    list_display_links = ("reference",)
    list_filter = (OpenFilter, "state", "channel")
    search_fields = ("=reference",)
    search_help_text = gettext_lazy("Type the request's reference, e.g. R-7KQ2M9XW4P.")
    sortable_by = ()
    actions = None
    show_full_result_count = False
    change_list_template = "rights/admin/rightsrequest_change_list.html"

    @admin.display(description=gettext_lazy("rights asked"))
    def rights_in_words(self, obj: RightsRequest) -> str:
        return _rights_in_words(obj.rights)

    def get_list_display(self, request: HttpRequest) -> Any:
        reference, *rest = self.list_display
        return (reference, _deadline_column(), *rest)

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Open first, soonest deadline first (the deadline as services.queue() reads it);
        # then the closed, the last closed first.
        is_open = When(closed_at__isnull=True, then=Value(0))
        open_deadline = When(closed_at__isnull=True, then=Coalesce(F("extended_to"), F("due_at")))
        return [
            Case(is_open, default=Value(1)).asc(),
            Case(open_deadline).asc(),
            F("closed_at").desc(),
            "received_at",
        ]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def may_act(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    # --- the queue

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "title": _("Rights requests, the nearest deadline first"),
            "due_soon_days": services.DUE_SOON.days,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # --- a case

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        case = self._case(object_id)
        if case is None:
            raise Http404(_("There is no rights request with this address."))
        if request.method == "POST":
            return self._act(request, case)
        record(
            actor=Actor.staff(request.user),
            action="view",
            target_type=RightsRequest._meta.label_lower,
            target_ref=str(case.pk),
            reason="back office",
        )
        return self._case_page(request, case)

    def _case(self, object_id: str) -> RightsRequest | None:
        try:
            pk = uuid.UUID(str(object_id))
        except ValueError:
            return None
        return RightsRequest.objects.filter(pk=pk).first()

    def _act(self, request: HttpRequest, case: RightsRequest) -> HttpResponse:
        if not self.may_act(request):
            raise PermissionDenied
        action = BY_NAME.get(str(request.POST.get("action", "")))
        if action is None:
            messages.error(request, _("This action does not exist; nothing was done."))
            return self._case_page(request, case, status=400)
        form = _form(action, request.POST, case)
        if not form.is_valid():
            if action.name == "rectify" and set(form.errors) == {"confirm"}:
                # Not confirmed: the same preview again, with the reason.
                messages.error(request, str(form.errors["confirm"][0]))
                entry = _form(BY_NAME[PREVIEW], request.POST, case)
                if entry.is_valid():
                    return self._preview(request, case, entry, status=400)
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return self._case_page(request, case, bound=(action.name, form), status=400)
        if action.name == PREVIEW:
            return self._preview(request, case, form)
        try:
            with transaction.atomic():
                done = action.run(case, form.cleaned_data, Actor.staff(request.user))
        except RightsError as error:
            messages.error(request, str(error))
            fresh = self._case(str(case.pk)) or case
            return self._case_page(request, fresh, bound=(action.name, form), status=400)
        messages.success(request, done)
        return HttpResponseRedirect(self._case_url(case))

    def _preview(
        self, request: HttpRequest, case: RightsRequest, form: ActionForm, status: int = 200
    ) -> HttpResponse:
        """The first step of a correction: old → new, nothing changed; the values read are
        audited. The page then offers to apply it."""
        data = form.cleaned_data
        try:
            changes = rectify.preview(case, [data["correction"]])
        except RightsError as error:
            messages.error(request, str(error))
            return self._case_page(request, case, bound=(PREVIEW, form), status=400)
        actor = Actor.staff(request.user)
        for change in changes:
            record(
                actor=actor,
                action="read",
                target_type=change.record,
                target_ref=change.pk,
                reason=f"rights: {case.reference} rectification preview",
            )
        record_words, field_words = data["words"]
        shown = {
            "changes": [
                {"record": record_words, "field": field_words, "old": c.old, "new": c.new}
                for c in changes
            ],
            "form": _form(
                BY_NAME["rectify"],
                case=case,
                initial={name: data[name] for name in ("record", "field", "value")},
            ),
        }
        return self._case_page(request, case, bound=(PREVIEW, form), preview=shown, status=status)

    def _case_url(self, case: RightsRequest) -> str:
        return reverse("admin:rights_rightsrequest_change", args=[case.pk])

    def _notices(
        self,
        case: RightsRequest,
        notices: list[recipients.Notice],
        actors: dict[str, str],
        may_act: bool,
    ) -> list[dict[str, Any]]:
        """The Art. 19 notices in words, a "Mark as told" form on each still to tell."""
        rows = []
        for index, notice in enumerate(notices):
            state = notice.state_label
            if notice.state == recipients.State.TOLD:
                state = _("told on %(day)s by %(who)s") % {
                    "day": _moment(notice.told_at),
                    "who": actors.get(notice.told_by, notice.told_by),
                }
            form = None
            if may_act and notice.state == recipients.State.TO_TELL:
                form = _form(
                    BY_NAME["mark_told"],
                    case=case,
                    sentence=_("I told %(recipient)s of every action still waiting for it.")
                    % {"recipient": notice.name},
                    prefix_id=f"mark_told_{index}",
                    initial={"recipient": notice.recipient},
                )
            rows.append(
                {
                    "recipient": notice.name,
                    "action": str(NOTICE_ACTIONS.get(notice.action, notice.action)),
                    "state": state,
                    "to_tell": notice.state == recipients.State.TO_TELL,
                    "when": _moment(notice.at),
                    "form": form,
                }
            )
        return rows

    def _case_page(
        self,
        request: HttpRequest,
        case: RightsRequest,
        *,
        bound: tuple[str, ActionForm] | None = None,
        status: int = 200,
        preview: dict[str, Any] | None = None,
    ) -> HttpResponse:
        queued = next((q for q in services.queue() if q.request.pk == case.pk), None)
        events = list(case.events.all())
        activities = dict(_activities())
        notice_rows = recipients.notices(case)
        actors = _actors({e.actor for e in events} | {n.told_by for n in notice_rows})
        may_act = self.may_act(request)
        if bound and bound[0] == "rectify":
            # Applying failed: the first step again, with what was typed.
            typed = {name: bound[1].data.get(name, "") for name in ("record", "field", "value")}
            bound = (PREVIEW, _form(BY_NAME[PREVIEW], case=case, initial=typed))
        actions = []
        if may_act:
            for action in ACTIONS:
                if action.inline:
                    continue
                mine = bound is not None and bound[0] == action.name
                if not action.shown(case) and not mine:
                    continue
                form = bound[1] if bound and mine else _form(action, case=case)
                actions.append(
                    {
                        "action": action,
                        "form": form,
                        "asked": bool(action.answers) and action.answers in case.rights,
                        "confirmed": "confirm" in form.fields,
                    }
                )
        document = IdentityDocument.objects.filter(request=case).first()
        document_url = ""
        if (
            document is not None
            and document.uploaded_at is not None
            and request.user.has_perm(IDENTITY_PERMISSION)
        ):
            document_url = reverse("admin:rights_rightsrequest_identity", args=[case.pk])
        person_url = ""
        if case.person_id is not None and request.user.has_perm("vault.view_person"):
            person_url = reverse("admin:vault_person_change", args=[case.person_id])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Rights request %(reference)s") % {"reference": case.reference},
            "case": case,
            "rights": [str(services.right_label(code)) for code in case.rights],
            "rectification": Right.RECTIFICATION in case.rights,
            "channel": case.get_channel_display(),
            "language": dict([("fr", "Français"), ("en", "English")]).get(case.lang, case.lang),
            "overdue": queued is not None and queued.overdue,
            "due_soon": queued is not None and queued.due_soon,
            "due_soon_days": services.DUE_SOON.days,
            "dates": [
                (_("Received"), _moment(case.received_at)),
                (_("Answer due"), _day(case.due_at)),
                (_("Extended to"), _day(case.extended_to)),
                (_("Identity verified"), _moment(case.verified_at)),
                (_("Answered"), _moment(case.answered_at)),
                (_("Closed"), _moment(case.closed_at)),
            ],
            "deadline": _day(case.deadline),
            "document": document,
            "document_asked": _moment(document.asked_at) if document else "",
            "document_received": _moment(document.uploaded_at) if document else "",
            "document_url": document_url,
            "notices": self._notices(case, notice_rows, actors, may_act),
            "preview": preview,
            "person_url": person_url,
            "timeline": [
                {
                    "when": _moment(event.at),
                    "what": str(EVENT_WORDS.get(event.kind, event.kind)),
                    "by": actors.get(event.actor, event.actor),
                    "note": _note_in_words(event, activities),
                }
                for event in events
            ],
            "actions": actions,
            "may_act": may_act,
            "is_open": case.closed_at is None,
            "verified": case.state == State.VERIFIED,
            "closed_day": _moment(case.closed_at),
        }
        return TemplateResponse(request, "rights/admin/case.html", context, status=status)

    # --- the proof of identity

    def get_urls(self) -> list[Any]:
        identity_view = self.admin_site.admin_view(self.identity_view, cacheable=True)
        return [
            path(
                "<path:object_id>/identity/",
                identity_view,
                name=f"{self.opts.app_label}_{self.opts.model_name}_identity",
            ),
            *super().get_urls(),
        ]

    def identity_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The proof of identity received, as an attachment, to the DPO only; each reading is
        audited. Its name is the request's reference, never the name it was uploaded with."""
        if not request.user.has_perm(IDENTITY_PERMISSION):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        case = self._case(object_id)
        if case is None:
            raise Http404(_("There is no rights request with this address."))
        found = identity.read(case, actor=Actor.staff(request.user))
        if found is None:
            raise Http404(_("No proof of identity was received for this request."))
        content_type, data = found
        extension = identity.ACCEPTED.get(content_type, (b"", ""))[1]
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="identity-{case.reference}{extension}"'
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    # --- entering a request

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = EnterForm(request.POST, label_suffix="")
            if form.is_valid():
                data = form.cleaned_data
                try:
                    case = services.create(
                        channel=data["channel"],
                        received_at=form.received_at(),
                        rights=data["rights"],
                        actor=Actor.staff(request.user),
                        lang=data["lang"],
                        email=data["email"],
                        reply_email=data["reply_email"],
                        last_name=data["last_name"],
                        first_name=data["first_name"],
                        postal_address=data["postal_address"],
                        details=data["details"],
                        consent_reference=data["consent_reference"],
                    )
                except RightsError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(
                        request,
                        _(
                            "Request %(reference)s is filed; the answer is due on %(day)s. "
                            "Quote its reference when you write to the person."
                        )
                        % {"reference": case.reference, "day": _day(case.due_at)},
                    )
                    return HttpResponseRedirect(self._case_url(case))
            status = 400
        else:
            today = timezone.localtime(clock.now()).date()
            form = EnterForm(initial={"received_on": today}, label_suffix="")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Enter a request received by email or post"),
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "rights/admin/add.html", context, status=status)


# --- the dashboard ----------------------------------------------------------------------


def _dashboard(request: HttpRequest) -> dict[str, Any]:
    if not request.user.has_perm(VIEW_PERMISSION):
        return {"rights_visible": False}
    rows = services.queue()
    return {
        "rights_visible": True,
        "open": len(rows),
        "overdue": sum(q.overdue for q in rows),
        "due_soon": sum(q.due_soon for q in rows),
        "due_soon_days": services.DUE_SOON.days,
    }


# Counts and links for those who may open the queue (the DPO); nothing for the other roles.
add_dashboard_block("rights/admin/dashboard.html", _dashboard)
