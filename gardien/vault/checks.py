"""Registry checks: the personal-data registry agrees with the models and with the manifest.

- gardien.E101: a model with an encrypted field is not registered.
- gardien.E102: a registration names an activity the manifest does not declare.
- gardien.E103: a registration lists fields the model does not have.
- gardien.E104: a registration names a record its activity does not declare.
- gardien.E105: a registration's timestamp is not a date field of the model.
- gardien.E106: a registered model stores a field its activity does not declare.
- gardien.E107: a registered model has an encrypted field its registration does not list.
- gardien.W101: an activity with registered models declares a field none of them stores.
- gardien.E108 (``--deploy``): a field or index key is missing, malformed or not one the
  stored data was written with (gardien/vault/keycheck.py). Not a check of every command:
  ``gardien secrets init`` runs before any key exists.

An activity no model is registered for yet (its form is not built, or its data lives
with a processor or in the visitor's browser) is not reported: Gardien stores nothing for
it, so there is nothing to compare. Declared fields with ``input = "generated"`` (cookie
identifiers, browsing data, logs, consent identifiers) are produced by the browser, a
processor or the server rather than typed by the person, so they are not required to be
stored either; when a model does store one, it must still map to the declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core import checks
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError
from django.db.models import DateField, FileField
from django.utils.translation import gettext as _

from gardien.vault import keycheck
from gardien.vault.fields import EncryptedTextField
from gardien.vault.registry import DECLARED_FIELDS, Registration, registrations
from gardien.vault.storage import EncryptedFileSystemStorage

if TYPE_CHECKING:
    from gardien.manifest.schema import Activity, Manifest


@register("gardien")
def check_registry(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # The code is checked against the manifest file, the draft that `gardien check` validates
    # before it is published: a model the next publication would contradict is caught first.
    try:
        from gardien.policy.services import draft

        manifest: Manifest | None = draft()
    except Exception:  # the manifest check reports a broken manifest on its own
        manifest = None
    return registry_problems(apps.get_models(), manifest)


@register("gardien", deploy=True)
def check_keys_match_data(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The start-up check, with the database: records the fingerprints when it passes."""
    try:
        keycheck.check()
    except keycheck.KeyCheckError as exc:
        return [Error(str(exc), id="gardien.E108")]
    except DatabaseError:
        return []  # not migrated yet: the web server and worker check again at start
    return []


def registry_problems(
    models: Iterable[Any],
    manifest: Manifest | None,
    registered: Iterable[Registration] | None = None,
) -> list[CheckMessage]:
    """Every disagreement between ``models``, the registrations and ``manifest``.

    ``registered`` defaults to every registration; ``manifest`` None (unreadable) limits
    the checks to those of the models themselves.
    """
    registered = list(registrations() if registered is None else registered)
    problems: list[CheckMessage] = []
    by_label = {r.label: r for r in registered}
    for model in models:
        encrypted = _encrypted_fields(model)
        registration = by_label.get(model._meta.label_lower)
        if encrypted and registration is None:
            problems.append(
                Error(
                    _(
                        "%(model)s has encrypted fields (%(fields)s) but is not registered as "
                        "personal data, so rights requests and retention would miss it."
                    )
                    % {"model": model._meta.label, "fields": ", ".join(encrypted)},
                    hint=_(
                        "Decorate the model with @personal_data(activity=…, person=…, fields=…, "
                        "erase=…) from gardien.vault.registry."
                    ),
                    obj=model,
                    id="gardien.E101",
                )
            )
    for registration in registered:
        problems += _model_problems(registration)
    if manifest is None:
        return problems
    for registration in registered:
        problems += _manifest_problems(registration, manifest)
    problems += _unstored_fields(registered, manifest)
    return problems


def _model_problems(registration: Registration) -> list[CheckMessage]:
    model, label = registration.model, registration.model._meta.label
    problems: list[CheckMessage] = []
    missing = [f for f in registration.fields if _field(model, f) is None]
    if missing:
        problems.append(
            Error(
                _(
                    "%(model)s registers personal fields that do not exist: %(fields)s; fix the "
                    "names in @personal_data(fields=…) or add the fields to the model."
                )
                % {"model": label, "fields": ", ".join(missing)},
                obj=model,
                id="gardien.E103",
            )
        )
    unlisted = [f for f in _encrypted_fields(model) if f not in registration.fields]
    if unlisted:
        problems.append(
            Error(
                _(
                    "%(model)s has encrypted fields its registration does not list "
                    "(%(fields)s), so rights requests and retention would miss them; "
                    "add them to @personal_data(fields=…)."
                )
                % {"model": label, "fields": ", ".join(unlisted)},
                obj=model,
                id="gardien.E107",
            )
        )
    if registration.timestamp is not None:
        field = _field(model, registration.timestamp)
        if field is None:
            what = _("which is not a field of the model")
        elif not isinstance(field, DateField):  # DateTimeField is a DateField
            what = _("which is not a date field (%(type)s)") % {"type": type(field).__name__}
        else:
            what = ""
        if what:
            problems.append(
                Error(
                    _(
                        '%(model)s counts its retention from "%(timestamp)s", %(what)s; name '
                        "one of its DateTimeField or DateField in @personal_data(timestamp=…)."
                    )
                    % {"model": label, "timestamp": registration.timestamp, "what": what},
                    obj=model,
                    id="gardien.E105",
                )
            )
    return problems


def _manifest_problems(registration: Registration, manifest: Manifest) -> list[CheckMessage]:
    model, label = registration.model, registration.model._meta.label
    if registration.activity is None:
        return _identity_problems(registration, manifest)
    try:
        activity = manifest.activity(registration.activity)
    except KeyError:
        known = ", ".join(a.id for a in manifest.activities)
        return [
            Error(
                _(
                    '%(model)s is registered for activity "%(activity)s", which the manifest '
                    "does not declare; declare the activity or fix the name."
                )
                % {"model": label, "activity": registration.activity},
                hint=_("Declared activities: %(known)s.") % {"known": known},
                obj=model,
                id="gardien.E102",
            )
        ]
    problems: list[CheckMessage] = []
    records = [r.id for r in activity.records]
    if registration.record is not None and registration.record not in records:
        problems.append(
            Error(
                _(
                    '%(model)s keeps its rows under record "%(record)s", which activity '
                    '"%(activity)s" does not declare; declare it under [[activities.records]] of '
                    '"%(activity)s", fix the name, or drop record=… to apply the activity\'s own '
                    "retention."
                )
                % {"model": label, "record": registration.record, "activity": activity.id},
                hint=_('Records of "%(activity)s": %(records)s.')
                % {"activity": activity.id, "records": ", ".join(records) or _("none")},
                obj=model,
                id="gardien.E104",
            )
        )
    declared = [f.name for f in activity.fields]
    for stored, name in registration.stored.items():
        if name not in declared and name != DECLARED_FIELDS:
            problems.append(
                Error(
                    _(
                        '%(model)s stores %(field)s, which activity "%(activity)s" does not '
                        'declare; declare it under [[activities.fields]] of "%(activity)s" or '
                        "stop storing it."
                    )
                    % {"model": label, "field": _as(stored, name), "activity": activity.id},
                    hint=_(
                        'Fields declared by "%(activity)s": %(fields)s. A model field named '
                        'differently maps with fields={"model_field": "declared_field"}.'
                    )
                    % {"activity": activity.id, "fields": ", ".join(declared)},
                    obj=model,
                    id="gardien.E106",
                )
            )
    return problems


def _identity_problems(registration: Registration, manifest: Manifest) -> list[CheckMessage]:
    """The identity shared by every activity: each field it stores is declared by one."""
    model, label = registration.model, registration.model._meta.label
    problems: list[CheckMessage] = []
    if registration.record is not None:
        problems.append(
            Error(
                _(
                    "%(model)s is the identity shared by every activity, so it cannot keep its "
                    'rows under record "%(record)s"; drop record=… from its registration.'
                )
                % {"model": label, "record": registration.record},
                obj=model,
                id="gardien.E104",
            )
        )
    declared = {f.name for a in manifest.activities for f in a.fields}
    for stored, name in registration.stored.items():
        if name not in declared:
            problems.append(
                Error(
                    _(
                        "%(model)s stores %(field)s for every activity, but no activity declares "
                        "it; declare it under [[activities.fields]] of the activities that use "
                        "it or stop storing it."
                    )
                    % {"model": label, "field": _as(stored, name)},
                    obj=model,
                    id="gardien.E106",
                )
            )
    return problems


def _unstored_fields(registered: list[Registration], manifest: Manifest) -> list[CheckMessage]:
    """Declared fields of activities with registered models that none of them stores."""
    shared = {name for r in registered if r.activity is None for name in r.declared}
    problems: list[CheckMessage] = []
    for activity in manifest.activities:
        models = [r for r in registered if r.activity == activity.id]
        if not models:
            continue  # Gardien stores nothing for this activity (yet): nothing to compare
        stored = shared | {name for r in models for name in r.declared}
        if DECLARED_FIELDS in stored:
            continue  # one model keeps every declared field of the activity
        for declared in _expected(activity):
            if declared not in stored:
                problems.append(
                    checks.Warning(
                        _(
                            'Activity "%(activity)s" declares the field "%(field)s" but no '
                            "registered model stores it; list the model field that holds it in "
                            "@personal_data(fields=…), or remove it from the activity's "
                            "[[activities.fields]] if it is not collected."
                        )
                        % {"activity": activity.id, "field": declared},
                        hint=_('Models registered for "%(activity)s": %(models)s.')
                        % {
                            "activity": activity.id,
                            "models": ", ".join(r.model._meta.label for r in models),
                        },
                        obj=f'activity "{activity.id}"',
                        id="gardien.W101",
                    )
                )
    return problems


def _expected(activity: Activity) -> list[str]:
    """The declared fields Gardien must store once it stores anything for ``activity``."""
    return [f.name for f in activity.fields if f.input != "generated"]


def _as(stored: str, declared: str) -> str:
    if stored == declared:
        return f'"{stored}"'
    return _('"%(stored)s" as "%(declared)s"') % {"stored": stored, "declared": declared}


def _encrypted_fields(model: Any) -> list[str]:
    return [
        f.name
        for f in model._meta.fields
        if isinstance(f, EncryptedTextField)
        or (isinstance(f, FileField) and isinstance(f.storage, EncryptedFileSystemStorage))
    ]


def _field(model: Any, name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
