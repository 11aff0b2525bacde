"""The vault's public functions: every other app reaches personal data through these.

Each function that reads-for-export, creates, changes or erases personal data
writes an audit entry naming only pseudonymous ids.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.dispatch import Signal

from gardien.audit.services import Actor, record
from gardien.lib import clock, crypto
from gardien.vault import keycheck
from gardien.vault.models import LastContact, Person, Restriction
from gardien.vault.registry import Registration, registrations

#: Sent at the start of :func:`erase`, inside its transaction, with ``person``, ``activity``
#: (None: everything) and ``actor``: an app whose records need more than deleting (tell a
#: processor, record a withdrawal) does it here; the erasure then reads every record again.
erasing = Signal()


#: Sent after :func:`restrict` and :func:`lift_restriction`, inside their transaction, with
#: ``person``, ``activity`` ("" for every activity) and ``restricted``: an app whose
#: processor holds a copy stops or resumes it there.
restriction_changed = Signal()


#: Sent by the retention purge inside the transaction of each batch, before registered rows
#: of ``sender`` go, with ``queryset`` (the rows): an app whose rows need more than deleting
#: when their period ends (record a withdrawal) does it here. The rows' delete signals then
#: fire as usual (a processor is told there).
expiring = Signal()


class VaultError(ValueError):
    """A request on personal data that cannot be carried out; the message says why."""


def _audit(actor: Actor, action: str, obj: models.Model, reason: str) -> None:
    record(
        actor=actor,
        action=action,
        target_type=obj._meta.label_lower,
        target_ref=str(obj.pk),
        reason=reason,
    )


# --- people ---------------------------------------------------------------------------


def find_person(email: str) -> Person | None:
    """The person with this email (any spelling of case and surrounding spaces), or None."""
    if not email or not email.strip():
        return None
    indexes = crypto.blind_indexes(crypto.normalise_email(email))
    return next(iter(Person.objects.filter(email_index__in=indexes).order_by()[:1]), None)


def get_or_create_person(email: str, *, actor: Actor, reason: str = "") -> tuple[Person, bool]:
    normalised = crypto.normalise_email(email)
    if "@" not in normalised or len(normalised) > 254:
        raise VaultError("this is not an email address")
    with transaction.atomic():
        existing = find_person(normalised)
        if existing is not None:
            return existing, False
        # Under a wrong index key nobody is ever found: refuse rather than duplicate.
        keycheck.ensure_checked()
        person = Person.objects.create(email=normalised, created_at=clock.now())
        _audit(actor, "create", person, reason)
        return person, True


def person_by_id(person_id: str | uuid.UUID) -> Person | None:
    try:
        return Person.objects.filter(pk=uuid.UUID(str(person_id))).first()
    except ValueError:
        return None


# --- last contact ---------------------------------------------------------------------


def touch(person: Person, activity: str, at: dt.datetime | None = None) -> None:
    """Record that ``person`` was in contact for ``activity`` at ``at`` (default: now).

    Retention rules counting "after last_contact" read this; it never moves back in time.
    """
    when = at or clock.now()
    updated = LastContact.objects.filter(person=person, activity=activity, at__lt=when).update(
        at=when
    )
    if not updated:
        # The first contact, or one already as late: an INSERT that a unique row ignores.
        LastContact.objects.bulk_create(
            [LastContact(person=person, activity=activity, at=when)], ignore_conflicts=True
        )


def last_contact(person: Person, activity: str) -> dt.datetime | None:
    entry = LastContact.objects.filter(person=person, activity=activity).first()
    return entry.at if entry else None


# --- restriction ----------------------------------------------------------------------


def restrict(
    person: Person,
    *,
    actor: Actor,
    reason: str,
    activity: str | None = None,
    ground: str = Restriction.Ground.ACCURACY,
) -> None:
    """Restrict processing (GDPR Art. 18); every task checks it when it runs. Under the
    grounds of :attr:`Restriction.HOLDING_ERASURE` the retention purge keeps the data too."""
    if ground not in Restriction.Ground.values:
        raise VaultError(f"{ground!r} is not a ground of Art. 18(1)")
    with transaction.atomic():
        Restriction.objects.update_or_create(
            person=person,
            activity=activity or Restriction.ALL,
            defaults={"reason": reason[:200], "ground": ground},
            create_defaults={"since": clock.now(), "reason": reason[:200], "ground": ground},
        )
        _audit(actor, "restrict", person, reason)
        restriction_changed.send(
            sender=Person, person=person, activity=activity or Restriction.ALL, restricted=True
        )


def lift_restriction(
    person: Person, *, actor: Actor, reason: str, activity: str | None = None
) -> None:
    with transaction.atomic():
        Restriction.objects.filter(person=person, activity=activity or Restriction.ALL).delete()
        _audit(actor, "lift_restriction", person, reason)
        restriction_changed.send(
            sender=Person, person=person, activity=activity or Restriction.ALL, restricted=False
        )


def is_restricted(person_id: str | uuid.UUID, activity: str | None = None) -> bool:
    """True when processing for ``activity`` (or any, when None) is restricted for this person."""
    try:
        key = uuid.UUID(str(person_id))
    except ValueError:
        return False
    return _restrictions(activity).filter(person_id=key).exists()


def with_restricted(people: models.QuerySet[Person], activity: str | None = None) -> Any:
    """``people`` with ``restricted`` on each (the rule of :func:`is_restricted`), in the same
    query: for lists, which would otherwise ask once per person."""
    return people.annotate(
        restricted=models.Exists(_restrictions(activity).filter(person=models.OuterRef("pk")))
    )


def _restrictions(activity: str | None) -> models.QuerySet[Restriction]:
    query = Restriction.objects.all()
    if activity is not None:
        query = query.filter(activity__in=[Restriction.ALL, activity])
    return query


def erasure_held(path: str, activity: str | None) -> models.Q:
    """Rows (reached from their model through ``path`` to the person; "" for Person itself)
    whose person holds a restriction that stops erasure for ``activity``: the retention
    purge keeps them while it lasts (Art. 18(1)(b)–(c))."""
    prefix = f"{path}__" if path else ""
    scopes = [Restriction.ALL] if activity is None else [Restriction.ALL, activity]
    held = Restriction.objects.filter(
        person=models.OuterRef(f"{prefix}pk" if path else "pk"),
        activity__in=scopes,
        ground__in=Restriction.HOLDING_ERASURE,
    )
    return models.Q(models.Exists(held))


def contacted_since(path: str, activity: str, since: dt.datetime) -> models.Q:
    """Rows whose person's last contact for ``activity`` is later than ``since``."""
    later = LastContact.objects.filter(
        person=models.OuterRef(f"{path}__pk" if path else "pk"), activity=activity, at__gt=since
    )
    return models.Q(models.Exists(later))


def last_contacts(person_ids: list[Any], activity: str) -> dict[Any, dt.datetime]:
    """The last contact for ``activity`` of each of these people who has one."""
    return dict(
        LastContact.objects.filter(person_id__in=person_ids, activity=activity).values_list(
            "person_id", "at"
        )
    )


def forget_last_contacts(activity: str, person_ids: list[Any]) -> int:
    """After a purge removed rows of ``activity``: the last contact of each of these people
    goes when no registered row of the activity is left about them."""
    if not person_ids:
        return 0
    still = set()
    for registration in registrations():
        if registration.activity != activity or not registration.person:
            continue
        still |= set(
            registration.model._default_manager.filter(
                **{f"{registration.person}__pk__in": person_ids}
            ).values_list(f"{registration.person}__pk", flat=True)
        )
    gone = [pk for pk in person_ids if pk not in still]
    return LastContact.objects.filter(person_id__in=gone, activity=activity).delete()[0]


def unreferenced_people(created_before: dt.datetime) -> Any:
    """People no row refers to any more but their own last contacts, created before the
    instant (a person is created in the transaction that files their first record)."""
    query = Person.objects.filter(created_at__lt=created_before)
    for relation in Person._meta.related_objects:
        if relation.related_model is LastContact:
            continue
        related = relation.related_model._default_manager  # type: ignore[union-attr]
        query = query.exclude(
            models.Exists(related.filter(**{relation.field.name: models.OuterRef("pk")}))
        )
    return query


# --- find, export, rectify, erase -----------------------------------------------------


@dataclass
class Found:
    registration: Registration
    obj: models.Model

    @property
    def activity(self) -> str:
        return self.registration.activity or "identity"

    def values(self) -> dict[str, Any]:
        return {name: _plain(getattr(self.obj, name)) for name in self.registration.fields}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    return value


def find_everything(person: Person) -> Iterator[Found]:
    """Every registered record about ``person``, across all apps."""
    for registration in registrations():
        queryset = registration.model._default_manager.filter(
            **registration.person_filter(person.pk)
        )
        for obj in queryset.order_by("pk"):
            yield Found(registration, obj)


def export(person: Person, *, actor: Actor, reason: str) -> dict[str, Any]:
    """Everything about ``person`` as structured data, grouped by activity (access, portability)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    with transaction.atomic():
        for found in find_everything(person):
            grouped.setdefault(found.activity, []).append(
                {"record": found.registration.label, "id": str(found.obj.pk), **found.values()}
            )
            _audit(actor, "read_export", found.obj, reason)
        contacts = {c.activity: c.at.isoformat() for c in person.last_contacts.all()}
    return {
        "person": str(person.pk),
        "generated_at": clock.now().isoformat(),
        "activities": grouped,
        "last_contact": contacts,
    }


def rectify(obj: models.Model, field: str, value: Any, *, actor: Actor, reason: str) -> None:
    """Correct one personal field of one registered record."""
    from gardien.vault.registry import registration_for

    registration = registration_for(type(obj))
    if registration is None:
        raise VaultError(f"{obj._meta.label} holds no registered personal data")
    if field not in registration.fields:
        raise VaultError(f"{field} is not a personal field of {obj._meta.label}")
    with transaction.atomic():
        setattr(obj, field, value)
        obj.full_clean(validate_unique=False)
        obj.save(update_fields=[field, *_dependent_indexes(obj, field)])
        _audit(actor, "update", obj, reason)


def _dependent_indexes(obj: models.Model, field: str) -> list[str]:
    from gardien.vault.fields import BlindIndexField

    return [
        f.name
        for f in obj._meta.get_fields()
        if isinstance(f, BlindIndexField) and f.source == field
    ]


def _blank(field: models.Field[Any, Any]) -> Any:
    if field.null:
        return None
    if isinstance(field, models.CharField | models.TextField | models.FileField):
        return ""
    raise VaultError(f"{field.model._meta.label}.{field.name} cannot be blanked; make it nullable")


def _delete_files(obj: models.Model, names: tuple[str, ...]) -> None:
    """Stored files go with their row: a deleted row must not leave its document behind."""
    for name in names:
        field = obj._meta.get_field(name)
        if isinstance(field, models.FileField):
            stored = getattr(obj, name)
            if stored and stored.name:
                stored.delete(save=False)


def erase(
    person: Person, *, actor: Actor, reason: str, activity: str | None = None
) -> dict[str, int]:
    """Erase a person's data, for one activity or entirely (then the person goes too).

    Each registered model is erased as it declared: rows deleted, or personal fields
    blanked leaving a pseudonymous stub. Returns counts per model.
    """
    counts: dict[str, int] = {}
    with transaction.atomic():
        erasing.send(sender=Person, person=person, activity=activity, actor=actor)
        for found in list(find_everything(person)):
            registration = found.registration
            if registration.model is Person:
                continue
            if activity is not None and registration.activity != activity:
                continue
            # Read again: an earlier step (a receiver of ``erasing``, a cascade) may have
            # changed or detached it.
            current = registration.model._default_manager.filter(
                pk=found.obj.pk, **registration.person_filter(person.pk)
            ).first()
            if current is None:
                continue
            found = Found(registration, current)
            _audit(actor, "erase", found.obj, reason)
            _delete_files(found.obj, registration.fields)
            if registration.erase == "delete":
                found.obj.delete()
            else:
                for name in registration.fields:
                    setattr(found.obj, name, _blank(found.obj._meta.get_field(name)))  # type: ignore[arg-type]
                found.obj.save(update_fields=list(registration.fields))
            counts[registration.label] = counts.get(registration.label, 0) + 1
        if activity is None:
            _audit(actor, "erase", person, reason)
            person.delete()
            counts[Person._meta.label_lower] = 1
        else:
            LastContact.objects.filter(person=person, activity=activity).delete()
    return counts


def forget_activity(person: Person, activity: str, *, actor: Actor, reason: str) -> bool:
    """After ``person`` left ``activity`` (its records already gone): its last contact for it
    goes, and the person goes too when nothing else is kept about them (no row of any model
    refers to them). Returns True when the person was deleted."""
    with transaction.atomic():
        LastContact.objects.filter(person=person, activity=activity).delete()
        for relation in Person._meta.related_objects:
            related = relation.related_model._default_manager  # type: ignore[union-attr]
            if related.filter(**{relation.field.name: person}).exists():
                return False
        _audit(actor, "erase", person, reason)
        person.delete()
    return True


def view(person: Person, *, actor: Actor, reason: str = "") -> None:
    """Record that a staff member looked at this person's data in the back office."""
    _audit(actor, "view", person, reason)
