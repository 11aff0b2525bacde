"""Entering a request that came by email or post: the form the DPO fills in
(:class:`EnterForm`); the admin's ``add_view`` files it through :func:`services.create`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.lib import clock
from gardien.rights.models import Channel, Right


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
