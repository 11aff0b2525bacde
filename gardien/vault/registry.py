"""The personal-data registry: every model holding personal data declares itself here.

Rights requests (find, export, rectify, erase, restrict) and retention iterate over
the registry, so a new kind of personal data never means editing their code::

    @vault.personal_data(activity="contact", person="person", fields=["name", "message"],
                         erase="anonymise", timestamp="received_at")
    class ContactMessage(models.Model): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.db import models

Erasure = Literal["delete", "anonymise"]


@dataclass(frozen=True)
class Registration:
    model: type[models.Model]
    activity: str | None  # None: the person's identity, shared by every activity
    person: str  # lookup path from the model to its Person ("" for Person itself)
    fields: tuple[str, ...]
    erase: Erasure
    record: str | None  # the manifest record whose retention applies (None: the activity's own)
    timestamp: str | None  # the field the retention rule counts from

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def person_filter(self, person_id: object) -> dict[str, object]:
        return {"pk": person_id} if not self.person else {f"{self.person}__pk": person_id}


_registry: dict[str, Registration] = {}


def personal_data(
    *,
    activity: str | None,
    person: str,
    fields: list[str],
    erase: Erasure,
    record: str | None = None,
    timestamp: str | None = None,
) -> Callable[[type[models.Model]], type[models.Model]]:
    """Class decorator declaring a model's personal data (see module docstring)."""
    if erase not in ("delete", "anonymise"):
        raise ValueError('erase must be "delete" or "anonymise"')

    def register(model: type[models.Model]) -> type[models.Model]:
        registration = Registration(
            model=model,
            activity=activity,
            person=person,
            fields=tuple(fields),
            erase=erase,
            record=record,
            timestamp=timestamp,
        )
        _registry[registration.label] = registration
        return model

    return register


def registrations() -> list[Registration]:
    return list(_registry.values())


def registration_for(model: type[models.Model]) -> Registration | None:
    return _registry.get(model._meta.label_lower)
