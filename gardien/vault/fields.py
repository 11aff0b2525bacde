"""Model fields that keep personal values encrypted at rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from gardien.lib import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored as a Fernet token; read back in clear, never searchable.

    Only ``isnull`` lookups are allowed: a search on ciphertext would silently
    find nothing, so it is refused. Search through a :class:`BlindIndexField`.
    """

    description = "Encrypted text"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """A keyed HMAC of another field's normalised value, for exact-match lookups.

    ``source`` names the encrypted field it indexes; key rotation recomputes it.
    """

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normaliser: Callable[[str], str] = crypto.normalise_email,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("max_length", 80)
        self.source = source
        self.normaliser = normaliser
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == 80:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def compute(self, value: str) -> str:
        return crypto.blind_index(self.normaliser(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        source = getattr(model_instance, self.source)
        value = self.compute(source) if source else ""
        setattr(model_instance, self.attname, value)
        return value
