"""Forms built from an activity of the published manifest (the contact form, the newsletter
sign-up).

Every field, label, kind of input, choice, limit and "if missing" consequence comes from the
activity's ``[[activities.fields]]``: change the manifest and publish it, the form follows.
Nothing about the fields is written here or in a template.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from gardien.manifest.schema import Activity, DeclaredField

# Fields a form may carry besides the declared ones: how it travels, never personal data.
TRANSPORT_FIELDS = frozenset({"csrfmiddlewaretoken", "altcha", "website_url", "lang", "issued"})


class UnsupportedField(ValueError):
    """A declared field a form cannot collect; the message says which and why."""


def _required_message(declared: DeclaredField, lang: str) -> str:
    consequence = declared.if_missing.get(lang) if declared.if_missing else ""
    message = _("Please fill in this field.")
    return f"{message} {consequence}".strip()


def form_field(declared: DeclaredField, lang: str) -> forms.Field:
    """The form field collecting one declared field, in ``lang``."""
    common: dict[str, Any] = {
        "label": declared.label.get(lang),
        "required": declared.required,
        "help_text": declared.description.get(lang) if declared.description else "",
        "error_messages": {"required": _required_message(declared, lang)},
    }
    if declared.input == "choice":
        choices = [(c.value, c.label.get(lang)) for c in declared.choices or []]
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if declared.input == "email":
        return forms.EmailField(
            max_length=declared.max_length or 254,
            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            **common,
        )
    if declared.input in ("text", "textarea"):
        widget = forms.Textarea(attrs={"rows": 8}) if declared.input == "textarea" else None
        return forms.CharField(max_length=declared.max_length, widget=widget, **common)
    raise UnsupportedField(
        f'field "{declared.name}" has input = "{declared.input}", which a form cannot '
        'collect; use "text", "email", "textarea" or "choice"'
    )


def collected(activity: Activity) -> list[DeclaredField]:
    """The declared fields a visitor fills in (``generated`` ones are not asked)."""
    return [f for f in activity.fields if f.input != "generated"]


def declared_form(
    activity: Activity, lang: str, data: Any = None, initial: dict[str, str] | None = None
) -> forms.Form:
    """An unbound or bound form with exactly the activity's collected fields."""
    form = forms.Form(data=data, initial=initial)
    form.fields = {declared.name: form_field(declared, lang) for declared in collected(activity)}
    return form


def email_field(activity: Activity) -> str | None:
    """The declared field that identifies the person (the one with ``input = "email"``)."""
    return next((f.name for f in activity.fields if f.input == "email"), None)
