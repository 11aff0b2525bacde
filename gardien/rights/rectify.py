"""Rectification (GDPR Art. 16), and the restriction while contested accuracy is checked
(Art. 18(1)(a)).

    from gardien.rights import rectify

    rectify.contest(request, actor=…)                 # restricted (ground: accuracy) until decided
    rectify.preview(request, [Correction(…), …])      # [Change(old → new)], nothing changed
    rectify.apply(request, [Correction(…), …], actor=…)   # corrected, recipients told (Art. 19)
    rectify.decide(request, accurate=True|False, actor=…) # the check is over: told, then lifted

A :class:`Correction` names one registered record and one of its fields: ``record`` is the
model's label (``"contact.contactmessage"``) and ``pk`` its primary key; the person's own
record (their email address) is ``record="vault.person"`` or no record at all, with ``pk``
empty, the person's id or their current address. ``field`` is a personal field of the
record; for a record that keeps the answers of a declared form in one field (a contact
message), it is the declared field's name (``"message"``). Only the records of the person
the request is about can be named.

**The decision.** While the person contests accuracy, their processing is restricted
(:func:`contest`). :func:`apply` corrects and may be called more than once; it never ends the
check. :func:`decide` does: ``accurate=True`` (nothing to correct) or ``accurate=False``
(after the corrections were applied). The person is then told the decision and, once the
mail server accepted that letter, the restriction is lifted (Art. 18(3)); a restriction the
person holds on another ground is left alone.

The timeline names the records and fields corrected, never their values; the vault audits
each change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.audit.services import Actor
from gardien.lib import clock, crypto
from gardien.manifest.schema import Manifest
from gardien.policy import services as policy
from gardien.processors.outbox import enqueue
from gardien.rights import recipients
from gardien.rights.fulfil import _person, _verified
from gardien.rights.models import CaseEvent, Right, RightsRequest
from gardien.rights.services import RightsError, _audit, event
from gardien.vault import services as vault
from gardien.vault.fields import EncryptedTextField
from gardien.vault.models import Person, Restriction
from gardien.vault.registry import DECLARED_FIELDS, Registration, registrations

PERSON = Person._meta.label_lower
#: Records whose values follow the person's address, or are not what the person gave: they
#: are corrected through the person's own record, never directly.
NOT_CORRECTED = {
    "newsletter.pendingsignup": gettext_lazy("a sign-up waiting for its confirmation"),
    "newsletter.processorsync": gettext_lazy("a change waiting for the newsletter's processor"),
    "newsletter.consentproof": gettext_lazy(
        "a proof of consent, which keeps the address it was given by"
    ),
}
CONTESTED = "accuracy_contested"
RECTIFIED = "rectified"
DECIDED = "accuracy_decided"


@dataclass(frozen=True)
class Correction:
    """One field of one record, and the value it should hold."""

    field: str
    value: Any
    record: str = ""
    pk: str = ""

    @classmethod
    def of(cls, given: Correction | Mapping[str, Any]) -> Correction:
        if isinstance(given, Correction):
            return given
        unknown = set(given) - {"field", "value", "record", "pk"}
        if unknown or "field" not in given or "value" not in given:
            raise RightsError(
                _(
                    "A correction names a field, its new value and, unless it is the person's "
                    "email address, a record and its key."
                )
            )
        return cls(
            field=str(given["field"]),
            value=given["value"],
            record=str(given.get("record") or ""),
            pk=str(given.get("pk") or ""),
        )


@dataclass(frozen=True)
class Change:
    """What a correction would do: the record, the field, its value now and after."""

    record: str
    pk: str
    activity: str
    field: str
    old: Any
    new: Any
    stored: str = dataclasses.field(default="", compare=False)
    obj: models.Model | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def named(self) -> str:
        """How the timeline names it: the record's label and the field, no value."""
        return f"{self.record}.{self.field}"


# --- looking up ------------------------------------------------------------------------


def _registration(label: str) -> Registration:
    for registration in registrations():
        if registration.label == label:
            return registration
    raise RightsError(
        _("%(record)s is not a record of personal data; name one of: %(known)s.")
        % {
            "record": label,
            "known": ", ".join(sorted(r.label for r in registrations())),
        }
    )


def _record(registration: Registration, pk: str, person: Person, lock: bool) -> models.Model:
    if registration.model is Person:
        if pk in ("", str(person.pk)) or (
            "@" in pk and crypto.normalise_email(pk) == crypto.normalise_email(person.email)
        ):
            return person
        raise RightsError(_("This request is about another person: name their own record."))
    query = registration.model._default_manager.filter(**registration.person_filter(person.pk))
    if lock:
        query = query.select_for_update()
    try:
        found = query.filter(pk=pk).first() if pk else None
    except (ValueError, ValidationError):
        found = None
    if found is None:
        raise RightsError(
            _("No %(record)s with the key %(pk)s belongs to the person of this request.")
            % {"record": registration.label, "pk": pk or "—"}
        )
    return found


def _check(manifest: Manifest | None, activity_id: str | None, declared: str, value: str) -> None:
    """The new value as the manifest declares the field: its choices, its length, an email
    address where one is asked, present where it is required."""
    if declared == "email" or activity_id is None:
        try:
            validate_email(value)
        except ValidationError:
            raise RightsError(
                _("%(value)s is not an email address: check it and try again.")
                % {"value": value[:80]}
            ) from None
        return
    if manifest is None:
        return
    try:
        activity = manifest.activity(activity_id)
        spec = activity.field(declared)
    except (KeyError, StopIteration):
        raise RightsError(
            _("%(field)s is not a field the policy declares for %(activity)s.")
            % {"field": declared, "activity": activity_id}
        ) from None
    if spec.input in ("file", "generated"):
        raise RightsError(
            _("%(field)s is not something the person typed in; it cannot be rectified here.")
            % {"field": declared}
        )
    if not value:
        if spec.required:
            raise RightsError(
                _("%(field)s is required; to remove it, erase the record instead.")
                % {"field": declared}
            )
        return
    if spec.choices and value not in {c.value for c in spec.choices}:
        raise RightsError(
            _("%(field)s takes one of: %(choices)s.")
            % {"field": declared, "choices": ", ".join(c.value for c in spec.choices)}
        )
    if spec.max_length and len(value) > spec.max_length:
        raise RightsError(
            _("%(field)s holds at most %(n)d characters.")
            % {"field": declared, "n": spec.max_length}
        )
    if spec.input == "email":
        _check(manifest, None, declared, value)


def _plan(
    request: RightsRequest,
    changes: Iterable[Correction | Mapping[str, Any]],
    *,
    lock: bool = False,
) -> tuple[Person, list[Change]]:
    _verified(request)
    if Right.RECTIFICATION not in request.rights:
        raise RightsError(_("This request does not ask for a rectification; file one that does."))
    person = _person(request)
    if person is None:
        raise RightsError(_("Gardien holds no data about the person of this request."))
    if lock:
        person = Person.objects.select_for_update().get(pk=person.pk)
    manifest = policy.published_manifest()
    planned: list[Change] = []
    objects: dict[tuple[str, str], models.Model] = {}
    for given in changes:
        correction = Correction.of(given)
        label = correction.record.lower() or PERSON
        registration = _registration(label)
        if label in NOT_CORRECTED:
            raise RightsError(
                _("%(record)s is %(what)s: correct the person's own record instead.")
                % {"record": label, "what": NOT_CORRECTED[label]}
            )
        key = (label, correction.pk or (str(person.pk) if label == PERSON else ""))
        obj = objects.get(key) or _record(registration, correction.pk, person, lock)
        objects[(label, str(obj.pk))] = objects[key] = obj
        planned.append(_change(manifest, registration, obj, correction))
    if not planned:
        raise RightsError(_("Name at least one correction."))
    seen = set()
    for change in planned:
        if (change.record, change.pk, change.field) in seen:
            raise RightsError(
                _("%(field)s is corrected twice; give its new value once.")
                % {"field": change.named}
            )
        seen.add((change.record, change.pk, change.field))
    return person, planned


def _change(
    manifest: Manifest | None, registration: Registration, obj: models.Model, correction: Correction
) -> Change:
    if not isinstance(correction.value, str):
        raise RightsError(
            _("Give the new value of %(field)s as text.") % {"field": correction.field}
        )
    stored = registration.stored
    name = correction.field
    whole = [f for f, declared in stored.items() if declared == DECLARED_FIELDS]
    if name in stored and stored[name] == DECLARED_FIELDS:
        raise RightsError(
            _("%(field)s holds a form's answers: name the answer to correct (e.g. %(example)s).")
            % {"field": name, "example": "message"}
        )
    if name in stored:
        model_field = obj._meta.get_field(name)
        if not isinstance(model_field, EncryptedTextField):
            raise RightsError(
                _(
                    "%(field)s of %(record)s is not a value the person gave (a hash, a file or a "
                    "date); it cannot be rectified."
                )
                % {"field": name, "record": registration.label}
            )
        declared = stored[name]
        if declared == "email" and registration.model is not Person:
            raise RightsError(
                _(
                    "The email address is kept on the person: correct the person's own record "
                    "(vault.person, field email)."
                )
            )
        old = getattr(obj, name) or ""
        value = correction.value.strip()
        if declared == "email":
            value = crypto.normalise_email(value)
        _check(manifest, registration.activity, declared, value)
        if declared == "email" and value != old:
            other = vault.find_person(value)
            if other is not None and other.pk != obj.pk:
                raise RightsError(
                    _(
                        "Another person's record already has this address: two people are not "
                        "merged by a rectification. Ask the DPO how to proceed."
                    )
                )
        stored_field = name
    elif whole and name not in {f.name for f in obj._meta.get_fields()}:
        stored_field = whole[0]
        if manifest is not None and registration.activity is not None:
            try:
                spec = manifest.activity(registration.activity).field(name)
            except (KeyError, StopIteration):
                spec = None
            if spec is not None and spec.input == "email":
                raise RightsError(
                    _(
                        "The email address is kept on the person: correct the person's own "
                        "record (vault.person, field email)."
                    )
                )
        answers = json.loads(getattr(obj, stored_field) or "{}")
        old = answers.get(name, "")
        value = correction.value.strip()
        _check(manifest, registration.activity, name, value)
    else:
        raise RightsError(
            _("%(field)s is not a personal field of %(record)s; its fields are: %(known)s.")
            % {
                "field": name,
                "record": registration.label,
                "known": ", ".join(f for f in stored if stored[f] != DECLARED_FIELDS)
                or _("the answers of its form"),
            }
        )
    if value == old:
        raise RightsError(
            _("%(record)s.%(field)s already holds this value.")
            % {"record": registration.label, "field": name}
        )
    return Change(
        record=registration.label,
        pk=str(obj.pk),
        activity=registration.activity or "identity",
        field=name,
        old=old,
        new=value,
        stored=stored_field,
        obj=obj,
    )


# --- preview and apply -----------------------------------------------------------------


def preview(
    request: RightsRequest, changes: Iterable[Correction | Mapping[str, Any]]
) -> list[Change]:
    """What :func:`apply` would do, old value → new, changing nothing. Raises RightsError
    with a sentence for a record or field that cannot be rectified."""
    return _plan(request, changes)[1]


def apply(
    request: RightsRequest, changes: Iterable[Correction | Mapping[str, Any]], *, actor: Actor
) -> list[Change]:
    """Correct, in one transaction: each field through the vault (audited), the newsletter's
    processor kept in step when the address changes, the timeline (fields, no values), the
    Art. 19 notices to the recipients of the activities concerned, and the email telling the
    person it is done. A contested accuracy stays restricted until :func:`decide`."""
    from gardien.newsletter import services as newsletter
    from gardien.rights import tasks

    reason = f"rights: {request.reference}"
    with transaction.atomic():
        person, planned = _plan(request, changes, lock=True)
        previous = person.email
        writes: dict[tuple[str, str, str], tuple[models.Model, str, Any]] = {}
        for change in planned:
            assert change.obj is not None
            key = (change.record, change.pk)
            if change.stored == change.field:
                writes[(*key, change.field)] = (change.obj, change.field, change.new)
                continue
            _obj, _field, answers = writes.setdefault(
                (*key, change.stored),
                (change.obj, change.stored, json.loads(getattr(change.obj, change.stored) or "{}")),
            )
            if change.new:
                answers[change.field] = change.new
            else:
                answers.pop(change.field, None)
        for obj, name, value in writes.values():
            if isinstance(value, dict):
                value = json.dumps(value, ensure_ascii=False)
            try:
                vault.rectify(obj, name, value, actor=actor, reason=reason)
            except (ValidationError, vault.VaultError) as exc:
                raise RightsError(
                    _("%(field)s cannot take this value: %(why)s")
                    % {"field": f"{obj._meta.label_lower}.{name}", "why": "; ".join(_messages(exc))}
                ) from None
        if person.email != previous:
            newsletter.email_changed(person, previous)
        done = event(request, RECTIFIED, actor, note=", ".join(c.named for c in planned))
        _audit(actor, "rectify", request)
        recipients.notify_recipients(
            request, Right.RECTIFICATION, _recipients_of(person, planned), actor=actor
        )
        RightsRequest.objects.filter(pk=request.pk, answered_at__isnull=True).update(
            answered_at=clock.now()
        )
        enqueue(tasks.send_rectified, request.pk, done.pk)
    return planned


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc)]


def _recipients_of(person: Person, planned: list[Change]) -> list[recipients.Recipient]:
    """Who received what was corrected: the recipients of the activities of the records
    corrected, and of every activity when the person's own record (their address) was."""
    if any(c.activity == "identity" for c in planned):
        return recipients.who_received(person)
    return recipients.who_received(person, activities={c.activity for c in planned})


# --- contested accuracy ----------------------------------------------------------------


def _marker(request: RightsRequest) -> str:
    """The reason the automatic restriction carries: how it is told from any other."""
    return f"rights: {request.reference} accuracy contested"


def held_restriction(request: RightsRequest) -> Restriction | None:
    """The restriction :func:`contest` placed for this request, while it lasts."""
    if request.person_id is None:
        return None
    return Restriction.objects.filter(
        person_id=request.person_id,
        ground=Restriction.Ground.ACCURACY,
        reason=_marker(request),
    ).first()


def _last(request: RightsRequest, kind: str) -> CaseEvent | None:
    return CaseEvent.objects.filter(request=request, kind=kind).order_by("-at", "-pk").first()


def pending(request: RightsRequest) -> bool:
    """True while the accuracy the person contested is being checked (not yet decided)."""
    if held_restriction(request) is None:
        return False
    contested, decided = _last(request, CONTESTED), _last(request, DECIDED)
    return contested is not None and (decided is None or decided.pk < contested.pk)


def contest(request: RightsRequest, *, actor: Actor, activity: str | None = None) -> None:
    """The person contests the accuracy of their data: their processing is restricted (of
    every activity, or of ``activity``) with the ground "accuracy contested" until the DPO
    decides; the recipients are told (Art. 19) and so is the person."""
    from gardien.rights import tasks

    _verified(request)
    if not {Right.RECTIFICATION, Right.RESTRICTION} & set(request.rights):
        raise RightsError(
            _(
                "This request asks neither for a rectification nor for a restriction; file one "
                "that does."
            )
        )
    with transaction.atomic():
        person = _person(request)
        if person is None:
            raise RightsError(_("Gardien holds no data about the person of this request."))
        if request.person_id is None:  # verified by staff before the person existed
            RightsRequest.objects.filter(pk=request.pk).update(person=person)
            request.person_id = person.pk
        if held_restriction(request) is not None:
            raise RightsError(
                _("The accuracy is already being checked for this request; decide first.")
            )
        existing = Restriction.objects.filter(
            person=person, activity=activity or Restriction.ALL
        ).first()
        if existing is not None:
            raise RightsError(
                _(
                    "This person's processing is already restricted (%(ground)s); it stays so "
                    "until that restriction is lifted. Correct the data with a rectification."
                )
                % {"ground": existing.get_ground_display()}
            )
        vault.restrict(
            person,
            actor=actor,
            reason=_marker(request),
            activity=activity,
            ground=Restriction.Ground.ACCURACY,
        )
        event(request, CONTESTED, actor, note=activity or "")
        _audit(actor, "contest_accuracy", request)
        recipients.notify(request, Right.RESTRICTION, actor=actor, activity=activity, person=person)
        enqueue(tasks.send_contested, request.pk)


def decide(request: RightsRequest, *, accurate: bool, actor: Actor) -> None:
    """The DPO's decision on the contested accuracy: ``accurate`` (nothing to correct), or
    not (the corrections were applied first with :func:`apply`). The person is told, then the
    automatic restriction is lifted (Art. 18(3): told before it is lifted)."""
    from gardien.rights import tasks

    _verified(request)
    with transaction.atomic():
        RightsRequest.objects.select_for_update().filter(pk=request.pk).first()
        if not pending(request):
            raise RightsError(
                _("No contested accuracy is being checked on this request: nothing to decide.")
            )
        contested = _last(request, CONTESTED)
        corrected = _last(request, RECTIFIED)
        assert contested is not None
        if not accurate and (corrected is None or corrected.pk < contested.pk):
            raise RightsError(
                _("Apply the corrections first (they are what the person is told), then decide.")
            )
        event(request, DECIDED, actor, note="accurate" if accurate else "inaccurate")
        _audit(actor, "decide_accuracy", request, "accurate" if accurate else "inaccurate")
        RightsRequest.objects.filter(pk=request.pk, answered_at__isnull=True).update(
            answered_at=clock.now()
        )
        enqueue(tasks.send_decision_then_lift, request.pk, accurate)


def lift_held(request: RightsRequest) -> bool:
    """Lift the automatic restriction of this request, if it still holds (the task that told
    the person of the decision calls this). True when it was lifted."""
    with transaction.atomic():
        held = held_restriction(request)
        if held is None:
            return False
        person = Person.objects.get(pk=held.person_id)
        vault.lift_restriction(
            person, actor=Actor.system(), reason=_marker(request), activity=held.activity or None
        )
        event(request, "restriction_lifted", Actor.system(), note=Restriction.Ground.ACCURACY)
    return True


# --- for the letters -------------------------------------------------------------------


def field_labels(note: str, lang: str) -> list[str]:
    """The fields a "rectified" event names, as the policy labels them in ``lang``."""
    manifest = policy.published_manifest()
    labels: list[str] = []
    for named in (n.strip() for n in note.split(",")):
        label, _dot, name = named.rpartition(".")
        registration = next((r for r in registrations() if r.label == label), None)
        text = name
        if label == PERSON:
            declared_email = (
                next((f for a in manifest.activities for f in a.fields if f.name == "email"), None)
                if manifest is not None
                else None
            )
            text = declared_email.label.get(lang) if declared_email else _("email address")
        elif manifest is not None and registration is not None and registration.activity:
            declared = registration.stored.get(name, name)
            with contextlib.suppress(KeyError, StopIteration):
                text = manifest.activity(registration.activity).field(declared).label.get(lang)
        if text and text not in labels:
            labels.append(text)
    return labels
