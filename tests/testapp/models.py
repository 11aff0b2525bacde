"""Stand-ins for the personal-data models later capabilities add (contact, newsletter)."""

from __future__ import annotations

import uuid

from django.db import models

from gardien.vault.fields import EncryptedTextField
from gardien.vault.models import Person
from gardien.vault.registry import personal_data
from gardien.vault.storage import encrypted_storage


@personal_data(
    activity="contact",
    person="person",
    fields=["name", "organisation", "message"],
    erase="anonymise",
    timestamp="received_at",
)
class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL)
    name = EncryptedTextField(blank=True)
    organisation = EncryptedTextField(blank=True)
    message = EncryptedTextField(blank=True)
    received_at = models.DateTimeField()


@personal_data(
    activity="newsletter", person="person", fields=[], erase="delete", timestamp="subscribed_at"
)
class Subscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    subscribed_at = models.DateTimeField()


@personal_data(
    activity="rights",
    person="person",
    fields=["document"],
    erase="delete",
    record="identity_document",
    timestamp="received_at",
)
class IdentityDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    document = models.FileField(storage=encrypted_storage, upload_to="identity/")
    received_at = models.DateTimeField()
