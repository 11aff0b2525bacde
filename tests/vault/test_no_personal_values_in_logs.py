"""A canary value sent through every vault path never reaches a log record."""

from __future__ import annotations

import logging

from django.db import connection

from gardien.audit.services import Actor
from gardien.lib.clock import now
from gardien.vault import services as vault
from tests.testapp.models import Message

CANARY_EMAIL = "canary.logs-55c1@example.org"
CANARY_TEXT = "Canary-Value-Q7Z3 in a message"


def test_it_logs_no_personal_value_through_the_vault(db, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # log every SQL statement, as DEBUG would
    try:
        person, _ = vault.get_or_create_person(CANARY_EMAIL, actor=Actor.system())
        message = Message.objects.create(
            person=person, name=CANARY_TEXT, message=CANARY_TEXT, received_at=now()
        )
        vault.find_person(CANARY_EMAIL.upper())
        vault.export(person, actor=Actor.system(), reason="R-1")
        vault.rectify(message, "name", CANARY_TEXT + " bis", actor=Actor.system(), reason="R-1")
        vault.restrict(person, actor=Actor.system(), reason="R-1")
        vault.erase(person, actor=Actor.system(), reason="R-1")
    finally:
        connection.force_debug_cursor = False
    assert any(r.name == "django.db.backends" for r in caplog.records)  # SQL was logged
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert "canary" not in text.lower(), record.name
        assert "Q7Z3" not in text, record.name
