"""A client that calls ``gardien.wsgi.application`` as gunicorn does, for the endpoints on
the lean WSGI path (which Django's test client, going through the full stack, cannot test)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils.datastructures import CaseInsensitiveMapping


class Served:
    """One answer of ``gardien.wsgi.application``: the status line, headers and body sent."""

    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status = status
        self.status_code = int(status.split(" ", 1)[0])
        self.header_list = headers
        self.headers = CaseInsensitiveMapping(dict(headers))
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return str(self.headers[name])

    def __contains__(self, name: str) -> bool:
        return name in self.headers

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def __repr__(self) -> str:
        return f"<Served {self.status} {self.content[:200]!r}>"


def wsgi_environ(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    host: str = "testserver",
    headers: dict[str, str] | None = None,
    **extra: str,
) -> dict[str, Any]:
    """The environ gunicorn builds for one request; ``extra`` adds or replaces raw keys."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "gunicorn",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value
    environ.update(extra)
    return environ


def call_wsgi(environ: dict[str, Any], *, keep_test_connection: bool = True) -> Served:
    """Call ``gardien.wsgi.application`` as a WSGI server does: start_response, iterate the
    body, then ``close()`` it (which sends ``request_finished``).

    ``keep_test_connection``: as Django's test client does, ``close_old_connections`` is
    kept off the request signals, so that the test's transaction survives the request. A
    test with ``transactional_db`` passes False and gets the signals exactly as served.
    """
    from gardien.wsgi import application

    answer: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        answer["status"], answer["headers"] = status, response_headers
        return lambda data: None

    if keep_test_connection:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    finally:
        if keep_test_connection:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
    return Served(answer["status"], answer["headers"], content)
