"""The form every action of the case page builds on: :class:`ActionForm`, the confirmation
sentence to tick and the request acted on. Apart so that :mod:`.actions` and
:mod:`.correction` both build on it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from gardien.rights.models import RightsRequest


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
