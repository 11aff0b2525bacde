"""Shared material for the audit tests: a way to write a chain of entries at chosen times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor, record
from gardien.lib import clock

Write = Callable[..., list[AuditEntry]]


@pytest.fixture
def write(db) -> Write:  # type: ignore[no-untyped-def]
    """Record ``count`` entries, one minute apart from ``start`` (UTC)."""

    def write(count: int, start: str = "2025-01-10T09:00:00") -> list[AuditEntry]:
        first = clock.parse_instant(start)
        entries = []
        for n in range(count):
            with clock.frozen(first + dt.timedelta(minutes=n, microseconds=n)):
                entries.append(
                    record(
                        actor=Actor.system(),
                        action="erase",
                        target_type="vault.person",
                        target_ref=f"00000000-0000-4000-8000-{n:012d}",
                        reason="3 years after last_contact",
                    )
                )
        return entries

    return write


@pytest.fixture
def backoffice_client(client, admin_user):  # type: ignore[no-untyped-def]
    """A superuser signed in to the back office, second factor included."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=admin_user, name="test")
    client.force_login(admin_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def unguarded(db):  # type: ignore[no-untyped-def]
    """Act as someone who owns the tables: the triggers are dropped inside the block and put
    back after it, so a test can tamper with the log as such an attacker would."""
    from contextlib import contextmanager

    from django.db import connection

    from gardien.audit import guard

    postgres = connection.vendor == "postgresql"

    @contextmanager
    def block():  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            for statement in guard.POSTGRES_DROP if postgres else guard.SQLITE_DROP:
                cursor.execute(statement)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for statement in guard.POSTGRES_CREATE if postgres else guard.SQLITE_CREATE:
                    cursor.execute(statement)

    return block
