"""A correction in two steps: the person's records and fields a correction can name, in
words (:func:`_targets`), the form that chooses one and the new value
(:class:`CorrectionForm`, whose preview changes nothing), and the form that applies it
(:class:`ApplyCorrectionForm`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.rights import rectify
from gardien.rights.admin.base import ActionForm
from gardien.rights.admin.words import _day, _lang
from gardien.rights.models import RightsRequest
from gardien.rights.rectify import Correction
from gardien.vault import services as vault
from gardien.vault.fields import EncryptedTextField
from gardien.vault.models import Person
from gardien.vault.registry import DECLARED_FIELDS


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
