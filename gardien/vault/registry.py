"""The personal-data registry: every model holding personal data declares itself here.

Rights requests (find, export, rectify, erase, restrict) and retention iterate over
the registry, so a new kind of personal data never means editing their code::

    @vault.personal_data(activity="contact", person="person", fields=["name", "message"],
                         erase="anonymise", timestamp="received_at")
    class ContactMessage(models.Model): ...

Each stored field holds one field the manifest declares for the activity
(``[[activities.fields]]``), by default the field of the same name. Where the names
differ, give ``fields`` as a mapping from the model's field to the declared one::

    @vault.personal_data(activity="contact", person="person",
                         fields={"organisation": "organization", "message": "message"},
                         erase="anonymise", timestamp="received_at")

A model that stores the answers to a form built from the manifest keeps them in one
encrypted field and maps it to :data:`DECLARED_FIELDS`: that field holds, as a JSON object,
whichever fields the activity declares, so a field added to the manifest needs no new
column::

    @vault.personal_data(activity="contact", person="person",
                         fields={"answers": DECLARED_FIELDS}, …)

``record`` names one of the activity's ``[[activities.records]]`` when that record's
retention applies rather than the activity's own; ``timestamp`` is the date field the
retention rule counts from (an "after last_contact" rule counts from the later of it and the
person's last contact for the activity). A rule's ``until <event>`` clauses are mapped by
``until``: to the date field set when the event happens, or to :data:`AT_EVENT` when the
app removes the rows itself at that moment (a subscription goes when it is withdrawn)::

    @vault.personal_data(activity="newsletter", person="person", fields=[], erase="delete",
                         timestamp="confirmed_at", until={"consent withdrawn": AT_EVENT})

The identity shared by every activity (``Person``) registers
with ``activity=None``; its fields are those some activity declares (the email address).
The system check in :mod:`gardien.vault.checks` compares all of this with the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from django.db import models

Erasure = Literal["delete", "anonymise"]

#: Maps a model field holding every field the activity declares (a JSON object).
DECLARED_FIELDS = "*"

#: In ``until``: the app deletes the rows itself when the event happens.
AT_EVENT = ""


@dataclass(frozen=True)
class Registration:
    model: type[models.Model]
    activity: str | None  # None: the person's identity, shared by every activity
    person: str  # lookup path from the model to its Person ("" for Person itself)
    fields: tuple[str, ...]  # the model's fields holding personal data
    erase: Erasure
    record: str | None  # the manifest record whose retention applies (None: the activity's own)
    timestamp: str | None  # the field the retention rule counts from
    declared: tuple[str, ...] = ()  # the declared field each of ``fields`` holds; () = same names
    until: tuple[tuple[str, str], ...] = ()  # (event, date field or AT_EVENT) per until-clause

    def __post_init__(self) -> None:
        if not self.declared:
            object.__setattr__(self, "declared", self.fields)
        elif len(self.declared) != len(self.fields):
            raise ValueError("declared must name one manifest field per stored field")

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def stored(self) -> dict[str, str]:
        """Each stored model field and the manifest field it holds."""
        return dict(zip(self.fields, self.declared, strict=True))

    def person_filter(self, person_id: object) -> dict[str, object]:
        return {"pk": person_id} if not self.person else {f"{self.person}__pk": person_id}


_registry: dict[str, Registration] = {}


def personal_data(
    *,
    activity: str | None,
    person: str,
    fields: Sequence[str] | Mapping[str, str],
    erase: Erasure,
    record: str | None = None,
    timestamp: str | None = None,
    until: Mapping[str, str] | None = None,
) -> Callable[[type[models.Model]], type[models.Model]]:
    """Class decorator declaring a model's personal data (see module docstring).

    ``fields`` lists the model's personal fields, each holding the declared field of the
    same name, or maps each model field to the name of the declared field it holds.
    """
    if erase not in ("delete", "anonymise"):
        raise ValueError('erase must be "delete" or "anonymise"')
    if isinstance(fields, str):
        raise TypeError("fields must be a list of field names or a mapping, not one string")
    stored = dict(fields) if isinstance(fields, Mapping) else {name: name for name in fields}

    def register(model: type[models.Model]) -> type[models.Model]:
        registration = Registration(
            model=model,
            activity=activity,
            person=person,
            fields=tuple(stored),
            erase=erase,
            record=record,
            timestamp=timestamp,
            declared=tuple(stored.values()),
            until=tuple((until or {}).items()),
        )
        _registry[registration.label] = registration
        return model

    return register


def registrations() -> list[Registration]:
    return list(_registry.values())


def registration_for(model: type[models.Model]) -> Registration | None:
    return _registry.get(model._meta.label_lower)
