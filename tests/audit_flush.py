"""Let the test runner's flush empty the audit log, which the database otherwise refuses.

Transactional tests end with Django's flush, which deletes (SQLite) or truncates
(PostgreSQL) every table. The audit log's triggers refuse that, as they should in
production; here the flush goes through the purge's own path, then the log starts afresh
with a new signed head, as a new installation's does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction


@pytest.fixture(autouse=True, scope="session")
def _audit_log_flushable() -> Iterator[None]:
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: list[str]) -> None:
        from gardien.audit import guard, signing
        from gardien.audit.models import GENESIS_HASH, AuditHead

        with transaction.atomic(using=self.connection.alias):
            guard.set_purge_path(self.connection, is_open=True)
            original(self, sql_list)
            guard.set_purge_path(self.connection, is_open=False)
            kid = signing.newest_key_id()
            head = AuditHead(
                install=secrets.token_hex(16), position=0, hash=GENESIS_HASH, key_id=kid
            )
            head.mac = signing.sign("head", kid, signing.head_content(head))
            head.save(using=self.connection.alias, force_insert=True)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield
