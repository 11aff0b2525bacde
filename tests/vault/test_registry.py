from __future__ import annotations

from pathlib import Path

from django.db import models
from django.test.utils import isolate_apps

from gardien.manifest import load_path
from gardien.vault import registry
from gardien.vault.checks import check_registry, registry_problems
from gardien.vault.fields import EncryptedTextField
from tests.english import english  # noqa: F401  (the checks are asserted in English)

COOPO = Path(__file__).resolve().parents[2] / "examples" / "coopo" / "gardien.toml"


def test_it_passes_for_the_registered_models(db):
    assert check_registry() == []


@isolate_apps("tests.testapp")
def test_it_fails_for_an_unregistered_model_with_personal_data():
    class Note(models.Model):
        body = EncryptedTextField()

        class Meta:
            app_label = "testapp"

    problems = registry_problems([Note], load_path(COOPO))
    assert [p.id for p in problems] == ["gardien.E101"]
    assert "testapp.Note has encrypted fields (body)" in problems[0].msg


@isolate_apps("tests.testapp")
def test_it_fails_for_an_activity_the_manifest_does_not_declare():
    class Ghost(models.Model):
        body = EncryptedTextField()

        class Meta:
            app_label = "testapp"

    registry.personal_data(
        activity="telepathy", person="", fields=["body", "nope"], erase="delete"
    )(Ghost)
    try:
        problems = registry_problems([Ghost], load_path(COOPO))
    finally:
        registry._registry.pop(Ghost._meta.label_lower)
    ids = sorted(p.id for p in problems)
    assert ids == ["gardien.E102", "gardien.E103"]
    assert any('activity "telepathy"' in p.msg for p in problems)
