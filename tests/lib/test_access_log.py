"""Gunicorn's access log keeps the client's network, never its full address."""

from __future__ import annotations

import datetime as dt
import logging
import runpy
import types
from pathlib import Path

import pytest

from gardien.lib.logging import truncated_address

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gardien" / "gunicorn.conf.py"


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("203.0.113.77", "203.0.113.0"),
        (" 198.51.100.1 ", "198.51.100.0"),
        ("2001:db8:abcd:12:34::5", "2001:db8:abcd::"),
        ("::ffff:203.0.113.77", "203.0.113.0"),
        ("unix:/run/gardien.sock", "-"),
        ("", "-"),
    ],
)
def test_an_address_is_cut_to_its_network(address, kept):
    assert truncated_address(address) == kept


@pytest.fixture
def gunicorn_loggers():
    """Gunicorn's logger adds handlers to global loggers: leave them as they were."""
    loggers = [logging.getLogger(name) for name in ("gunicorn.access", "gunicorn.error")]
    kept = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, (handlers, level, propagate) in zip(loggers, kept, strict=True):
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.mark.usefixtures("gunicorn_loggers")
@pytest.mark.parametrize(
    ("address", "shown", "hidden"),
    [
        ("203.0.113.77", "203.0.113.0 ", "203.0.113.77"),
        ("2001:db8:abcd:12:34::5", "2001:db8:abcd:: ", "2001:db8:abcd:12"),
    ],
)
def test_the_access_log_line_has_no_full_address(capsys, address, shown, hidden):
    from gunicorn.config import Config

    conf = runpy.run_path(str(GUNICORN_CONF))
    cfg = Config()
    for name in ("accesslog", "access_log_format", "logger_class"):
        cfg.set(name, conf[name])
    log = cfg.logger_class(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/consent/config/fr.json",
        "PATH_INFO": "/consent/config/fr.json",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": address,
    }
    response = types.SimpleNamespace(status="200 OK", headers=[], sent=12)
    request = types.SimpleNamespace(headers=[])
    log.access(response, request, environ, dt.timedelta(milliseconds=3))
    line = capsys.readouterr().out
    assert line.startswith(shown), line
    assert hidden not in line
    assert '"GET /consent/config/fr.json HTTP/1.1" 200 12' in line
