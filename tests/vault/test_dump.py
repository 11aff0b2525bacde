"""A dump of the database shows no seeded email address, name or message in clear."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from django.db import connection

from gardien.audit.services import Actor
from gardien.lib.clock import now
from gardien.vault.services import get_or_create_person, touch
from tests.testapp.models import Message

CANARIES = {
    "email": "canary.dump-7f3a@example.org",
    "name": "Canaryname Dumptest",
    "organisation": "Canary Organisation Qx9",
    "message": "Canary message body 4b1e, please call me back",
}


def _dump() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        if not shutil.which("sqlite3"):
            pytest.skip("the sqlite3 command is not installed")
        command = ["sqlite3", settings_dict["NAME"], ".dump"]
        env = None
    else:
        if not shutil.which("pg_dump"):
            pytest.skip("the pg_dump command is not installed")
        command = [
            "pg_dump",
            "--data-only",
            "-h",
            settings_dict["HOST"] or "127.0.0.1",
            "-p",
            str(settings_dict["PORT"] or 5432),
            "-U",
            settings_dict["USER"] or "postgres",
            settings_dict["NAME"],
        ]
        env = {**os.environ, "PGPASSWORD": settings_dict["PASSWORD"] or ""}
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return result.stdout


def test_it_leaves_no_personal_value_in_clear_in_a_dump(transactional_db):
    person, _ = get_or_create_person(CANARIES["email"], actor=Actor.system())
    Message.objects.create(
        person=person,
        name=CANARIES["name"],
        message=CANARIES["message"],
        organisation=CANARIES["organisation"],
        received_at=now(),
    )
    touch(person, "contact")
    dump = _dump()
    assert "testapp_message" in dump  # the dump did include the table
    for kind, value in CANARIES.items():
        assert value not in dump, f"{kind} found in clear in the dump"
        assert value.lower() not in dump.lower()
    assert "canary.dump" not in dump
