"""Logins sent all at once: the throttle counts each attempt before its password is checked,
so a burst gets no more password checks than the same attempts sent one by one."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection

from gardien.backoffice.throttle import FREE_FAILURES
from tests.backoffice.helpers import REFUSED, new_client, post_login

BURST = 10
_checked: list[str] = []
_lock = threading.Lock()


class SlowCountingBackend(ModelBackend):
    """Django's own backend, slowed down as a real password hash is, counting its checks."""

    def authenticate(
        self, request: Any, username: Any = None, password: Any = None, **kw: Any
    ) -> Any:
        with _lock:
            _checked.append(str(username))
        time.sleep(0.3)
        return super().authenticate(request, username=username, password=password, **kw)


@pytest.fixture
def counted_checks(settings: Any) -> list[str]:
    settings.AUTHENTICATION_BACKENDS = [f"{__name__}.SlowCountingBackend"]
    _checked.clear()
    return _checked


def burst(usernames: list[str], address: str) -> list[str]:
    """Every login at the same moment, each from its own browser; the pages they get."""
    start = threading.Barrier(len(usernames))
    pages: list[str] = []
    errors: list[BaseException] = []

    def attempt(username: str) -> None:
        try:
            client = new_client()
            start.wait()
            response = post_login(
                client, username, "Not-The-Password-0", "000000", REMOTE_ADDR=address
            )
            pages.append(response.text)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(name,)) for name in usernames]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(pages) == len(usernames)
    assert all(REFUSED in page for page in pages)
    return pages


@pytest.mark.django_db(transaction=True)
def test_a_burst_on_one_account_gets_only_the_free_tries(make_account, counted_checks):
    make_account("alice", "dpo")
    burst(["alice"] * BURST, "203.0.113.5")
    assert len(counted_checks) == FREE_FAILURES


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_address_gets_only_its_limit(db, counted_checks, settings):
    settings.GARDIEN_LOGIN_MAX_FAILURES = 4
    burst([f"guess-{i}" for i in range(BURST)], "203.0.113.6")
    assert len(counted_checks) == 4
