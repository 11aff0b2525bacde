"""Logs never hold passwords, tokens, query strings, emails or usernames in clear."""

from __future__ import annotations

import datetime as dt
import logging
import runpy
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.lib.logging import RedactFilter, redact
from tests.backoffice.helpers import current_code, is_logged_in, new_client, post_login

CANARY_USER = "canary-user-7Q2"
CANARY_PASSWORD = "Canary-Secret-Passw0rd-9X!"
TOKEN = "8f3kQ2mZ9xTq1LpA7vB0cD4eF6gH"
GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gardien" / "gunicorn.conf.py"


def _everything_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def _all_text(record: logging.LogRecord) -> str:
    return record.getMessage() + " " + repr(vars(record))


def test_the_canary_never_reaches_any_log(db, caplog):
    _everything_at_debug(caplog)
    # With the debug cursor on, every SQL statement is logged too, usernames included.
    with CaptureQueriesContext(connection):
        post_login(new_client(), CANARY_USER, CANARY_PASSWORD, "123456")  # no such account
        _user, _password, two_factor = accounts.create_account(
            CANARY_USER, BY_SLUG["staff"], password=CANARY_PASSWORD
        )
        post_login(new_client(), CANARY_USER, "Wrong-" + CANARY_PASSWORD, "123456")
        client = new_client()
        post_login(client, CANARY_USER, CANARY_PASSWORD, current_code(two_factor.secret))
        assert is_logged_in(client)
        client.get("/admin/")
        post_login(new_client(), CANARY_USER, CANARY_PASSWORD, "000000")  # wrong code
        client.get(f"/confirm/{TOKEN}/?token={TOKEN}&email=someone@example.org")
    records = caplog.records
    assert any("auth_user" in r.getMessage() for r in records), "SQL was captured as well"
    assert any(r.name == "gardien.backoffice.login" for r in records)
    for record in records:
        everything = _all_text(record)  # message, arguments and every extra attribute
        for canary in (CANARY_USER, CANARY_PASSWORD):
            assert canary not in everything, f"{canary} in {record.name}: {record.getMessage()}"
        for secret in (TOKEN, "someone@example.org"):
            assert secret not in record.getMessage()
            assert secret not in (record.exc_text or "")
    for secret in (CANARY_USER, CANARY_PASSWORD, TOKEN, "someone@example.org"):
        assert secret not in caplog.text


def test_the_filter_removes_a_path_token_and_the_query_string():
    redacted = redact(f"/confirm/{TOKEN}?token=abc")
    assert TOKEN not in redacted
    assert "abc" not in redacted
    assert redacted.startswith("/confirm/")


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("GET /admin/login/?next=/admin/ HTTP/1.1", "next=", "/admin/login/"),
        ("mail sent to alice@example.org", "alice@example.org", "mail sent to"),
        ("{'password': 'hunter2hunter2', 'status_code': 200}", "hunter2", "'status_code': 200"),
        ("login form: username=alice&otp_token=123456", "alice", "login form"),
        ("secret=abc123 code: 987654", "987654", "secret="),
        ("key K7Qm2xv9Lp3RtY8sWq1ZbN4cD6eF0gHjA2 used", "K7Qm2xv9", "used"),
        ("django.contrib.auth.middleware.AuthenticationMiddleware", "", "Middleware"),
    ],
)
def test_what_the_filter_removes_and_keeps(text, gone, kept):
    redacted = redact(text)
    if gone:
        assert gone not in redacted
    assert kept in redacted


def test_the_filter_redacts_arguments_and_exceptions():
    record = logging.LogRecord(
        "gardien.test",
        logging.ERROR,
        __file__,
        1,
        "opened %s for %s",
        (f"/c/{TOKEN}", "a@b.org"),
        None,
    )
    try:
        raise ValueError(f"bad token={TOKEN}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactFilter().filter(record) is True
    assert TOKEN not in record.getMessage() and "a@b.org" not in record.getMessage()
    assert record.exc_text and TOKEN not in record.exc_text
    assert "ValueError" in record.exc_text


def test_every_configured_handler_redacts():
    config = settings.LOGGING
    for name, handler in config["handlers"].items():
        assert "redact" in handler.get("filters", []), name
    for logger in [logging.getLogger(), *logging.root.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if type(handler).__module__.startswith("_pytest"):
                continue
            if type(handler) is logging.NullHandler:  # a library's default: writes nothing
                continue
            assert any(isinstance(f, RedactFilter) for f in handler.filters), (logger, handler)


def test_gunicorn_access_log_omits_query_strings_and_tokens(capsys):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    conf = runpy.run_path(str(GUNICORN_CONF))
    assert "%(U)s" in conf["access_log_format"]
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(u)s", "%(a)s"):
        assert leaky not in conf["access_log_format"]
    cfg = Config()
    cfg.set("accesslog", conf["accesslog"])
    cfg.set("access_log_format", conf["access_log_format"])
    log = Logger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/confirm/{TOKEN}/?token=abc",
        "PATH_INFO": f"/confirm/{TOKEN}/",
        "QUERY_STRING": "token=abc",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": f"https://privacy.example.org/x?token={TOKEN}",
    }
    response = types.SimpleNamespace(status="200 OK", headers=[], sent=12)
    request = types.SimpleNamespace(headers=[])
    log.access(response, request, environ, dt.timedelta(milliseconds=3))
    line = capsys.readouterr().out
    assert '"GET /confirm/' in line and " 200 " in line
    assert TOKEN not in line
    assert "token=abc" not in line
