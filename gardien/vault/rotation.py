"""Re-encrypt every personal value and recompute every blind index under the newest keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from gardien.lib import clock, crypto
from gardien.vault.fields import BlindIndexField, EncryptedTextField
from gardien.vault.models import EncryptedTOTPDevice, KeyRotation

Progress = Callable[[str, int, int], None]


@dataclass
class RotationSummary:
    models: int = 0
    rows: int = 0
    key_id: str = ""


def _encrypted_files(model: type[models.Model]) -> list[models.FileField]:
    from gardien.vault.storage import EncryptedFileSystemStorage

    return [
        f
        for f in model._meta.fields
        if isinstance(f, models.FileField) and isinstance(f.storage, EncryptedFileSystemStorage)
    ]


def encrypted_models() -> list[tuple[type[models.Model], list[str], list[BlindIndexField]]]:
    found = []
    for model in apps.get_models():
        encrypted = [f.attname for f in model._meta.fields if isinstance(f, EncryptedTextField)]
        indexes = [f for f in model._meta.fields if isinstance(f, BlindIndexField)]
        if encrypted or indexes or _encrypted_files(model):
            found.append((model, encrypted, indexes))
    return found


def current_key_id() -> str:
    return crypto.key_id(crypto.field_keys()[0]) + crypto.key_id(crypto.index_keys()[0])


def rotate(batch_size: int = 500, progress: Progress | None = None) -> RotationSummary:
    """Rotate all models, batch by batch; an interrupted run resumes after its last batch."""
    summary = RotationSummary(key_id=current_key_id())
    for model, encrypted, indexes in encrypted_models():
        label = model._meta.label_lower
        state, _created = KeyRotation.objects.get_or_create(
            model=label, key_id=summary.key_id, defaults={"updated_at": clock.now()}
        )
        summary.models += 1
        files = _encrypted_files(model)
        if state.done:
            continue
        total = model._default_manager.count()
        done = model._default_manager.filter(pk__lte=state.last_pk).count() if state.last_pk else 0
        while True:
            queryset = model._default_manager.order_by("pk")
            if state.last_pk:
                queryset = queryset.filter(pk__gt=state.last_pk)
            batch = list(queryset[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                for obj in batch:
                    for index in indexes:
                        source = getattr(obj, index.source)
                        setattr(obj, index.attname, index.compute(source) if source else "")
                # Saving writes every encrypted field anew, under the newest key.
                if encrypted or indexes:
                    model._default_manager.bulk_update(
                        batch, [*encrypted, *(i.attname for i in indexes)]
                    )
                for file_field in files:
                    for obj in batch:
                        stored = getattr(obj, file_field.attname)
                        if stored and stored.name:
                            file_field.storage.rotate(stored.name)  # type: ignore[attr-defined]
                state.last_pk = str(batch[-1].pk)
                state.updated_at = clock.now()
                state.save(update_fields=["last_pk", "updated_at"])
            done += len(batch)
            summary.rows += len(batch)
            if progress:
                progress(label, done, total)
        state.done = True
        state.updated_at = clock.now()
        state.save(update_fields=["done", "updated_at"])
    summary.rows += rotate_totp_keys()
    summary.models += 1
    if progress:
        progress(EncryptedTOTPDevice._meta.label_lower, 1, 1)
    return summary


def rotate_totp_keys() -> int:
    """Re-encrypt the staff's TOTP keys not yet under the newest field key.

    A few rows, so no batches: those already under the newest key are skipped, which
    makes a second run (after an interruption) do only what is left.
    """
    rotated = 0
    with transaction.atomic():  # a login updating a device's drift waits, and is kept
        for device in EncryptedTOTPDevice.objects.select_for_update().order_by("pk"):
            if not crypto.is_under_newest_key(device.encrypted_key):
                device.encrypted_key = crypto.encrypt(crypto.decrypt(device.encrypted_key))
                device.save(update_fields=["encrypted_key"])
                rotated += 1
    return rotated
