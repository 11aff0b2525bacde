"""The registry checks itself against the manifest: activities, records, timestamps, fields."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.checks import ERROR, WARNING
from django.db import models
from django.test.utils import isolate_apps

from gardien.manifest import load_path, load_text
from gardien.manifest.schema import Manifest
from gardien.vault import registry
from gardien.vault.checks import registry_problems
from gardien.vault.fields import EncryptedTextField
from gardien.vault.registry import Registration, personal_data, registrations
from tests.english import english  # noqa: F401  (the checks are asserted in English)
from tests.manifest.conftest import VALID, Draft

ROOT = Path(__file__).resolve().parents[2]
COOPO = ROOT / "examples" / "coopo" / "gardien.toml"

# The small manifest of the manifest tests, plus a record of its own for the contact form.
RECORDS = """\
  [[activities.records]]
  id = "attachment"
  what = { fr = "Pièces jointes", en = "Attachments" }
  retention = "1 month after created"

"""


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    text = Draft(VALID).replace(
        '[[activities]]\nid = "newsletter"', f'{RECORDS}[[activities]]\nid = "newsletter"'
    )
    return text.load()


@pytest.fixture(scope="module")
def Note() -> Any:
    """A contact-form model of the test app, never migrated: only its fields matter."""
    with isolate_apps("tests.testapp"):

        class Note(models.Model):
            email = EncryptedTextField()
            message = EncryptedTextField()
            nickname = models.TextField()
            body = models.TextField()
            received_at = models.DateTimeField()
            sent_on = models.DateField()

            class Meta:
                app_label = "testapp"

        return Note


def registration(model: Any, fields: Any, **options: Any) -> Registration:
    """What ``@personal_data`` registers, taken back out of the real registry."""
    options = {"activity": "contact", "person": "", "erase": "delete", **options}
    personal_data(fields=fields, **options)(model)
    return registry._registry.pop(model._meta.label_lower)


def problems_of(manifest: Manifest, *registered: Registration) -> list[Any]:
    return registry_problems([r.model for r in registered], manifest, registered)


def ids(problems: list[Any]) -> list[str]:
    return sorted(p.id for p in problems)


# -- stored fields against declared fields ----------------------------------------------------


def test_it_reports_a_stored_field_the_manifest_does_not_declare(manifest, Note):
    stores = registration(Note, ["email", "message", "nickname", "body"])
    problems = [p for p in problems_of(manifest, stores) if p.id == "gardien.E106"]
    assert [p.level for p in problems] == [ERROR, ERROR]
    nickname = next(p for p in problems if '"nickname"' in p.msg)
    assert nickname.msg == (
        'testapp.Note stores "nickname", which activity "contact" does not declare; declare it '
        'under [[activities.fields]] of "contact" or stop storing it.'
    )
    assert "email, message" in nickname.hint
    assert nickname.obj is Note


def test_a_model_field_holds_the_declared_field_it_is_mapped_to(manifest, Note):
    mapped = registration(
        Note, {"email": "email", "message": "message", "body": "message"}, timestamp="received_at"
    )
    assert mapped.fields == ("email", "message", "body")
    assert mapped.stored == {"email": "email", "message": "message", "body": "message"}
    assert problems_of(manifest, mapped) == []


def test_it_names_both_fields_when_a_mapping_points_to_an_undeclared_one(manifest, Note):
    mapped = registration(Note, {"body": "comment"})
    [problem] = [p for p in problems_of(manifest, mapped) if p.id == "gardien.E106"]
    assert problem.msg.startswith('testapp.Note stores "body" as "comment", which activity')


def test_the_identity_stores_only_fields_some_activity_declares(manifest, Note):
    identity = registration(Note, ["email", "nickname"], activity=None)
    [problem] = [p for p in problems_of(manifest, identity) if p.id == "gardien.E106"]
    assert problem.msg == (
        'testapp.Note stores "nickname" for every activity, but no activity declares it; declare '
        "it under [[activities.fields]] of the activities that use it or stop storing it."
    )


def test_it_reports_an_encrypted_field_the_registration_does_not_list(manifest, Note):
    partial = registration(Note, ["email", "nickname"])
    [problem] = [p for p in problems_of(manifest, partial) if p.id == "gardien.E107"]
    assert problem.msg.startswith(
        "testapp.Note has encrypted fields its registration does not list (message)"
    )
    assert "add them to @personal_data(fields=…)" in problem.msg


def test_a_list_of_fields_still_registers_each_under_its_own_name(Note):
    plain = registration(Note, ["email", "message"])
    assert plain.fields == plain.declared == ("email", "message")
    direct = Registration(Note, "contact", "", ("message",), "delete", None, None)
    assert direct.stored == {"message": "message"}
    with pytest.raises(ValueError, match="one manifest field per stored field"):
        Registration(Note, "contact", "", ("a", "b"), "delete", None, None, ("a",))
    with pytest.raises(TypeError, match="not one string"):
        personal_data(activity="contact", person="", fields="email", erase="delete")


# -- activity, record and timestamp -----------------------------------------------------------


def test_it_reports_an_activity_the_manifest_does_not_declare(manifest, Note):
    ghost = registration(Note, ["nickname"], activity="telepathy")
    [problem] = [p for p in problems_of(manifest, ghost) if p.id != "gardien.E107"]
    assert problem.id == "gardien.E102"
    assert 'activity "telepathy"' in problem.msg
    assert problem.hint == "Declared activities: contact, newsletter."


def test_it_reports_an_unknown_record(manifest, Note):
    wrong = registration(Note, ["message"], record="attachments")
    [problem] = [p for p in problems_of(manifest, wrong) if p.id == "gardien.E104"]
    assert problem.msg.startswith(
        'testapp.Note keeps its rows under record "attachments", which activity "contact" does '
        'not declare; declare it under [[activities.records]] of "contact"'
    )
    assert problem.hint == 'Records of "contact": attachment.'
    right = registration(Note, ["message"], record="attachment")
    assert "gardien.E104" not in ids(problems_of(manifest, right))


def test_an_activity_without_records_says_so(manifest, Note):
    wrong = registration(Note, ["email"], activity="newsletter", record="optin_proof")
    [problem] = [p for p in problems_of(manifest, wrong) if p.id == "gardien.E104"]
    assert problem.hint == 'Records of "newsletter": none.'


def test_the_identity_keeps_no_record_of_its_own(manifest, Note):
    identity = registration(Note, ["email"], activity=None, record="attachment")
    [problem] = [p for p in problems_of(manifest, identity) if p.id == "gardien.E104"]
    assert "identity shared by every activity" in problem.msg


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        ("sent_at", "which is not a field of the model"),
        ("body", "which is not a date field (TextField)"),
    ],
)
def test_it_reports_a_timestamp_that_is_not_a_date_field(manifest, Note, timestamp, reason):
    wrong = registration(Note, ["message"], timestamp=timestamp)
    [problem] = [p for p in problems_of(manifest, wrong) if p.id == "gardien.E105"]
    assert problem.msg == (
        f'testapp.Note counts its retention from "{timestamp}", {reason}; name one of its '
        "DateTimeField or DateField in @personal_data(timestamp=…)."
    )


@pytest.mark.parametrize("timestamp", ["received_at", "sent_on", None])
def test_a_date_or_datetime_timestamp_passes(manifest, Note, timestamp):
    right = registration(Note, ["message"], timestamp=timestamp)
    assert "gardien.E105" not in ids(problems_of(manifest, right))


def test_the_timestamp_is_checked_even_when_the_manifest_is_unreadable(Note):
    wrong = registration(Note, ["message"], timestamp="sent_at")
    problems = registry_problems([Note], None, [wrong])
    assert ids(problems) == ["gardien.E105", "gardien.E107"]


# -- declared fields stored nowhere -----------------------------------------------------------


def test_it_warns_of_a_declared_field_stored_nowhere(manifest, Note):
    only_message = registration(Note, ["message"])
    [warning] = [p for p in problems_of(manifest, only_message) if p.id == "gardien.W101"]
    assert warning.level == WARNING
    assert warning.msg == (
        'Activity "contact" declares the field "email" but no registered model stores it; list '
        "the model field that holds it in @personal_data(fields=…), or remove it from the "
        "activity's [[activities.fields]] if it is not collected."
    )
    assert warning.hint == 'Models registered for "contact": testapp.Note.'
    assert str(warning).startswith('activity "contact": (gardien.W101)')


def test_a_field_stored_with_the_identity_counts_for_every_activity(manifest, Note):
    with isolate_apps("tests.testapp"):

        class Someone(models.Model):
            address = EncryptedTextField()

            class Meta:
                app_label = "testapp"

    identity = registration(Someone, {"address": "email"}, activity=None)
    contact = registration(Note, ["message"])
    found = problems_of(manifest, identity, contact)
    assert "gardien.W101" not in ids(found)


def test_an_activity_with_no_registered_model_is_not_reported(manifest, Note):
    # Gardien stores nothing for the newsletter here: no warning for its email.
    contact = registration(Note, ["message"])
    assert all("newsletter" not in p.msg for p in problems_of(manifest, contact))


def test_generated_fields_need_not_be_stored(Note):
    generated = Draft(VALID).replace(
        '  [[activities.fields]]\n  name = "message"',
        '  [[activities.fields]]\n  name = "visitor_id"\n'
        '  label = { fr = "Identifiant", en = "Identifier" }\n'
        '  categories = ["user.device.cookie_id"]\n  required = false\n  input = "generated"\n\n'
        '  [[activities.fields]]\n  name = "message"',
    )
    contact = registration(Note, ["email", "message"])
    assert problems_of(load_text(generated.text), contact) == []


# -- the real registrations and the Coopo manifest --------------------------------------------


def test_the_registered_models_agree_with_the_coopo_manifest():
    assert registry_problems(apps.get_models(), load_path(COOPO)) == []


def test_gardiens_own_registrations_agree_with_the_coopo_manifest():
    """Without the test app, as in production: the identity, the contact messages (which keep
    every field the contact activity declares), the newsletter's records and the rights
    requests with their identity documents."""
    own = [r for r in registrations() if r.model._meta.app_label != "testapp"]
    assert sorted(r.label for r in own) == [
        "contact.contactmessage",
        "newsletter.consentproof",
        "newsletter.pendingsignup",
        "newsletter.processorsync",
        "newsletter.subscription",
        "rights.identitydocument",
        "rights.rightsrequest",
        "vault.person",
    ]
    models_ = [m for m in apps.get_models() if m._meta.app_label != "testapp"]
    assert registry_problems(models_, load_path(COOPO), own) == []


def test_gardien_check_passes_with_the_coopo_manifest(tmp_path):
    """What `make run` runs before publishing the policy."""
    env = {  # nothing of the developer's configuration leaks in (see tests/cli/conftest.py)
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GARDIEN_", "DJANGO_", "EMAIL_", "DATABASE_", "SECRET_"))
        },
        "DJANGO_SETTINGS_MODULE": "gardien.settings",
        "GARDIEN_VAR_DIR": str(tmp_path),
        "GARDIEN_MANIFEST": str(COOPO),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "GARDIEN_CONTACT_NOTIFY": "equipe@coopo.example",  # as `make run` sets it
    }
    for args in (["secrets", "init"], ["check", "--fail-level", "ERROR"]):
        result = subprocess.run(
            [sys.executable, "-m", "gardien", *args],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert "gardien.E1" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
