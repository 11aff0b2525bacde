"""Stand-ins for the personal-data models later capabilities add (contact, newsletter, rights).

They register against the Coopo manifest the tests run with, and between them store every
field it declares for these activities (the email address lives on Person), so that the
registry check finds nothing to report.
"""

from __future__ import annotations

import uuid

from django.db import models

from gardien.vault.fields import EncryptedTextField
from gardien.vault.models import Person
from gardien.vault.registry import AT_EVENT, personal_data
from gardien.vault.storage import encrypted_storage


@personal_data(
    activity="contact",
    person="person",
    fields={
        "name": "last_name",
        "first_name": "first_name",
        "status": "status",
        "organisation": "organization",
        "message": "message",
    },
    erase="anonymise",
    timestamp="received_at",
)
class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL)
    name = EncryptedTextField(blank=True)
    first_name = EncryptedTextField(blank=True)
    status = EncryptedTextField(blank=True)
    organisation = EncryptedTextField(blank=True)
    message = EncryptedTextField(blank=True)
    received_at = models.DateTimeField()


@personal_data(
    activity="newsletter",
    person="person",
    fields=[],
    erase="delete",
    timestamp="subscribed_at",
    until={"consent withdrawn": AT_EVENT},
)
class Subscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    subscribed_at = models.DateTimeField()


@personal_data(
    activity="rights",
    person="person",
    fields=["last_name", "first_name", "postal_address", "request"],
    erase="delete",
    timestamp="closed_at",
)
class RightsRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    last_name = EncryptedTextField(blank=True)
    first_name = EncryptedTextField(blank=True)
    postal_address = EncryptedTextField(blank=True)
    request = EncryptedTextField(blank=True)
    received_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)


@personal_data(
    activity="rights",
    person="person",
    fields={"document": "identity_document"},
    erase="delete",
    record="identity_document",
    timestamp="received_at",
    until={"request closed": "closed_at"},
)
class IdentityDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    document = models.FileField(storage=encrypted_storage, upload_to="identity/")
    received_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)  # when its request closed
