"""Uploaded identity documents are encrypted at rest, rotated, and erased with their row."""

from __future__ import annotations

import base64
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from gardien.audit.services import Actor
from gardien.lib.clock import now
from gardien.vault import services as vault
from tests.testapp.models import IdentityDocument

CANARY = b"%PDF-1.4 Canary identity document of Jane Canary 9Q"


@pytest.fixture
def private_dir(settings, tmp_path) -> Path:
    settings.GARDIEN_PRIVATE_FILES_DIR = tmp_path / "private"
    return settings.GARDIEN_PRIVATE_FILES_DIR


@pytest.fixture
def document(db, private_dir):
    person, _ = vault.get_or_create_person("jane@example.org", actor=Actor.system())
    doc = IdentityDocument(person=person, received_at=now())
    doc.document.save("passport-jane-canary.pdf", ContentFile(CANARY))
    return doc


def _stored_files(private_dir: Path) -> list[Path]:
    return [p for p in private_dir.rglob("*") if p.is_file()]


def test_it_stores_the_file_encrypted_under_a_random_name(document, private_dir):
    [stored] = _stored_files(private_dir)
    assert "jane" not in stored.name and "passport" not in stored.name
    assert stored.suffix == ".pdf"
    assert b"Canary" not in stored.read_bytes()
    with IdentityDocument.objects.get(pk=document.pk).document.open() as handle:
        assert handle.read() == CANARY


def test_it_rotates_files_with_the_rest_of_the_vault(document, private_dir, settings):
    new = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    settings.GARDIEN_FIELD_KEYS = [new, *settings.GARDIEN_FIELD_KEYS]
    call_command("keys", "rotate", stdout=StringIO())
    settings.GARDIEN_FIELD_KEYS = [new]
    with IdentityDocument.objects.get(pk=document.pk).document.open() as handle:
        assert handle.read() == CANARY


def test_it_deletes_the_file_when_the_row_is_erased(document, private_dir):
    vault.erase(document.person, actor=Actor.system(), reason="R-9", activity="rights")
    assert not IdentityDocument.objects.exists()
    assert _stored_files(private_dir) == []
