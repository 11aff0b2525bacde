"""Registry checks: every model with an encrypted field is registered, with a real activity."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.checks import Error, register
from django.db.models import FileField

from gardien.vault.fields import EncryptedTextField
from gardien.vault.registry import registration_for, registrations
from gardien.vault.storage import EncryptedFileSystemStorage


@register("gardien")
def check_registry(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    return registry_problems(apps.get_models())


def registry_problems(models: Iterable[Any]) -> list[Error]:
    errors: list[Error] = []
    for model in models:
        encrypted = [
            f.name
            for f in model._meta.fields
            if isinstance(f, EncryptedTextField)
            or (isinstance(f, FileField) and isinstance(f.storage, EncryptedFileSystemStorage))
        ]
        if encrypted and registration_for(model) is None:
            errors.append(
                Error(
                    f"{model._meta.label} has encrypted fields ({', '.join(encrypted)}) but is not "
                    "registered as personal data, so rights requests and retention would miss it.",
                    hint="Decorate the model with @personal_data(activity=…, person=…, fields=…, "
                    "erase=…) from gardien.vault.registry.",
                    obj=model,
                    id="gardien.E101",
                )
            )
    try:
        from gardien.policy.services import current_manifest

        known = {a.id for a in current_manifest().activities}
    except Exception:  # the manifest check reports a broken manifest on its own
        return errors
    for registration in registrations():
        if registration.activity is not None and registration.activity not in known:
            errors.append(
                Error(
                    f"{registration.model._meta.label} is registered for activity "
                    f'"{registration.activity}", which the manifest does not declare.',
                    hint=f"Declare the activity in the manifest or fix the name (declared: "
                    f"{', '.join(sorted(known))}).",
                    obj=registration.model,
                    id="gardien.E102",
                )
            )
        missing = [f for f in registration.fields if not _has_field(registration.model, f)]
        if missing:
            errors.append(
                Error(
                    f"{registration.model._meta.label} registers personal fields that do not "
                    f"exist: {', '.join(missing)}.",
                    obj=registration.model,
                    id="gardien.E103",
                )
            )
    return errors


def _has_field(model: Any, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True
