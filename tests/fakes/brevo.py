"""A fake Brevo for tests: a real HTTP server holding contacts and lists in memory.

It implements the contact operations Gardien's client uses (create, get, update and
delete a contact; get a list, page through its contacts, remove contacts from it) and
answers like Brevo: ``201``/``204`` on success, ``404 document_not_found`` for an unknown
contact or list, ``400 duplicate_parameter`` when a contact is created twice without
``updateEnabled``, ``401`` without the right ``api-key``.

Every request is validated against Brevo's own OpenAPI description
(``tests/contracts/brevo-openapi-v3.yml``) with openapi-core, and so is every answer the
fake gives: a request the description rejects is answered ``400`` (``401`` for missing
credentials) and recorded in :attr:`FakeBrevo.violations`, which the ``fake_brevo``
fixture requires to be empty at teardown. A test that sends a wrong request on purpose
clears ``violations`` itself.

Faults are injected explicitly, and consumed in the order they were asked for::

    fake.fail_next(2, status=503)          # the next 2 requests answer 503 (no effect)
    fake.rate_limit_next(1, retry_after=3) # then one answers 429 with Retry-After: 3
    fake.slow_next(1, 0.5)                 # the next answer is sent 0.5 s late
    fake.down(); fake.up()                 # refuse connections; listen again, same port

A slow request takes effect before its answer is delayed, as when Brevo has done the work
but the answer is lost to a client's timeout.

Use it through the fixture (import it into a conftest or a test module)::

    from tests.fakes.brevo import fake_brevo  # noqa: F401

    def test_something(fake_brevo):
        with override_settings(**fake_brevo.settings):
            ...
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import yaml
from jsonschema_path.loaders import JsonschemaSafeLoader
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import SecurityValidationError
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = ["DEFAULT_LIST_ID", "SPEC_PATH", "FakeBrevo", "brevo_openapi", "fake_brevo"]

SPEC_PATH = Path(__file__).resolve().parent.parent / "contracts" / "brevo-openapi-v3.yml"
#: The server of Brevo's description is https://api.brevo.com/v3: requests to the fake are
#: validated as if they had been sent there.
SPEC_HOST_URL = "https://api.brevo.com"
PREFIX = "/v3"
API_KEY = "xkeysib-fake-gardien-tests"
DEFAULT_LIST_ID = 7
#: Statuses Brevo answers on any operation, listed in the description's introduction
#: rather than under each operation: an answer with one of them is not checked.
UNDOCUMENTED_STATUSES = frozenset({401, 429, 500, 502, 503, 504})


# --- Brevo's description ------------------------------------------------------------


@functools.cache
def brevo_openapi() -> OpenAPI:
    """Brevo's OpenAPI description, parsed once per test session (870 KB of YAML)."""
    with SPEC_PATH.open(encoding="utf-8") as file:
        # openapi-core's own loader: YAML timestamps stay strings (some examples in the
        # description are dates that do not exist, such as 2023-10-0).
        data = yaml.load(file, Loader=JsonschemaSafeLoader)
    _correct_known_defects(data)
    # The description as a whole does not pass openapi-spec-validator (four schemas of
    # sender and email-campaign operations give "maximum" as the string "1E+2"); none is
    # on a path the fake serves, so the whole-document check is skipped.
    return OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))


def _correct_known_defects(data: dict[str, Any]) -> None:
    """Fix, in memory, what in Brevo's description would reject every correct request.

    The body of removeContactFromList is ``oneOf`` four schemas (by emails, ids, extIds,
    or ``all``) none of which requires its property, so ``{"emails": [...]}`` is valid
    under all four and fails ``oneOf``. Each alternative is made to require its own
    property, which is what the description says in words ("Required if ...").
    Response codes are written as YAML integers (``201:``), where OpenAPI wants strings
    (``"201":``): as integers openapi-core finds no documented answer at all. And a ``204``
    is described with ``content: {}`` (no media type), which openapi-core reads as "a body
    is required": an empty ``content`` is dropped, meaning no body.

    The file itself stays as Brevo publishes it.
    """
    for item in data["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
                for response in operation["responses"].values():
                    if response.get("content") == {}:
                        del response["content"]
    schemas = data["components"]["schemas"]
    for name, prop in [
        ("removeContactFromListByEmails", "emails"),
        ("removeContactFromListByIDs", "ids"),
        ("removeContactFromListByAll", "all"),
        ("removeContactFromListByExtIDs", "extIds"),
    ]:
        schema = schemas[name]
        assert list(schema["properties"]) == [prop], f"{name} changed: review this fix"
        schema.setdefault("required", [prop])


@dataclass
class _SpecRequest:
    """A raw HTTP request as openapi-core's ``Request`` protocol wants it."""

    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = SPEC_HOST_URL


@dataclass
class _SpecResponse:
    """An answer of the fake as openapi-core's ``Response`` protocol wants it."""

    status_code: int
    data: bytes | None
    headers: Headers = field(default_factory=Headers)
    content_type: str = "application/json"


class SeenRequest(NamedTuple):
    """A request the fake received: ``path`` is the request target as sent (percent-encoded,
    with its query string); ``body`` the decoded JSON, or the raw text if it was not JSON."""

    method: str
    path: str
    body: Any


class _Answer(NamedTuple):
    status: int
    body: Any = None  # JSON-serialisable, or None for no body
    headers: Mapping[str, str] = {}
    raw: bytes | None = None  # a non-JSON body, sent as text/html


def _error(status: int, code: str, message: str, **extra: Any) -> _Answer:
    return _Answer(status, {"code": code, "message": message, **extra})


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the fake -----------------------------------------------------------------------


class FakeBrevo:
    """Brevo's contacts API in memory, behind a real HTTP server on 127.0.0.1."""

    def __init__(self, *, api_key: str = API_KEY, lists: Mapping[int, str] | None = None):
        self.api_key = api_key
        #: list id -> name
        self.lists: dict[int, str] = (
            dict(lists) if lists is not None else {DEFAULT_LIST_ID: "Newsletter"}
        )
        #: email (lower case, as Brevo keeps it) -> {"list_ids": set[int], "blocklisted":
        #: bool, "id": int, "attributes": dict, ...}; a test may add entries with only the
        #: first two keys.
        self.contacts: dict[str, dict[str, Any]] = {}
        self.requests: list[SeenRequest] = []
        self.violations: list[str] = []
        self._lock = threading.RLock()
        self._faults: deque[_Answer] = deque()
        self._delays: deque[float] = deque()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- life cycle

    @property
    def url(self) -> str:
        """The base URL to give a client, like Brevo's https://api.brevo.com/v3."""
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    @property
    def settings(self) -> dict[str, Any]:
        """Gardien's settings pointing at this fake, for ``override_settings(**...)``."""
        return {
            "GARDIEN_BREVO_API_KEY": self.api_key,
            "GARDIEN_BREVO_LIST_ID": DEFAULT_LIST_ID,
            "GARDIEN_BREVO_BASE_URL": self.url,
            "GARDIEN_BREVO_TIMEOUT": 2,
        }

    def start(self) -> FakeBrevo:
        brevo_openapi()  # parse the description before the first request, not during it
        self._stopping.clear()
        self._listen()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes the answers being delayed
        self.down()

    def down(self) -> None:
        """Stop listening: connections are refused until :meth:`up`."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def up(self) -> None:
        """Listen again, on the same port."""
        if self._server is None:
            self._listen()

    def _listen(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.fake = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # --- fault injection

    def fail_next(self, n: int, status: int = 500) -> None:
        """The next ``n`` requests answer ``status`` (with an HTML page) and have no effect."""
        page = f"<html><body><h1>{status}</h1></body></html>".encode()
        with self._lock:
            self._faults.extend(_Answer(status, raw=page) for _ in range(n))

    def rate_limit_next(
        self, n: int, retry_after: int | str | None = 1, *, reset: int | None = None
    ) -> None:
        """The next ``n`` requests answer 429, with ``Retry-After: retry_after`` (seconds or
        an HTTP date; none if None) and, if ``reset`` is given, ``x-sib-ratelimit-reset``."""
        headers = {"x-sib-ratelimit-limit": "10", "x-sib-ratelimit-remaining": "0"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if reset is not None:
            headers["x-sib-ratelimit-reset"] = str(reset)
        answer = _Answer(
            429, {"code": "too_many_requests", "message": "Too many requests"}, headers
        )
        with self._lock:
            self._faults.extend(answer for _ in range(n))

    def slow_next(self, n: int, seconds: float) -> None:
        """The answers to the next ``n`` requests are sent ``seconds`` late."""
        with self._lock:
            self._delays.extend(seconds for _ in range(n))

    # --- state helpers for tests

    def add_contact(
        self, email: str, list_ids: Iterable[int] = (), blocklisted: bool = False
    ) -> dict[str, Any]:
        with self._lock:
            record = self._record(
                email.lower(), {"list_ids": set(list_ids), "blocklisted": blocklisted}
            )
            self.contacts[email.lower()] = record
            return record

    def members(self, list_id: int = DEFAULT_LIST_ID) -> set[str]:
        with self._lock:
            return {e for e, c in self.contacts.items() if list_id in c.get("list_ids", ())}

    def _record(self, email: str, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with every key the fake uses (a test may have given only some)."""
        record.setdefault("list_ids", set())
        record["list_ids"] = set(record["list_ids"])
        record.setdefault("blocklisted", False)
        if "id" not in record:
            record["id"] = next(self._ids)
        record.setdefault("attributes", {})
        record.setdefault("created_at", _now())
        record.setdefault("modified_at", record["created_at"])
        return record

    # --- serving one request (in the server's threads)

    def _serve(self, handler: _Handler) -> None:
        method = handler.command
        target = handler.path
        split = urlsplit(target)
        length = int(handler.headers.get("content-length") or 0)
        raw_body = handler.rfile.read(length) if length else None
        body: Any = None
        if raw_body is not None:
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = raw_body.decode("utf-8", "replace")
        headers = Headers(list(handler.headers.items()))
        spec_request = _SpecRequest(
            method=method.lower(),
            path=split.path,
            parameters=RequestParameters(
                query=ImmutableMultiDict(parse_qsl(split.query, keep_blank_values=True)),
                header=headers,
            ),
            body=raw_body,
            content_type=headers.get("content-type", ""),
        )
        with self._lock:
            self.requests.append(SeenRequest(method, target, body))
            delay = self._delays.popleft() if self._delays else 0.0

        answer = self._validate_request(spec_request)
        if answer is None:
            with self._lock:
                answer = self._faults.popleft() if self._faults else None
        if answer is None:
            if headers.get("api-key") != self.api_key:
                answer = _error(401, "unauthorized", "Key not found")
            else:
                answer = self._route(method, split.path, split.query, body)
                self._validate_response(spec_request, answer)
        if delay and self._stopping.wait(delay):
            return  # the fake is being stopped: the client has long given up
        self._send(handler, answer)

    def _validate_request(self, request: _SpecRequest) -> _Answer | None:
        try:
            brevo_openapi().validate_request(request)
        except Exception as exc:  # openapi-core's errors have no common base worth naming
            message = _describe(exc)
            self._violation(f"request {request.method.upper()} {request.path}: {message}")
            if isinstance(exc, SecurityValidationError):
                return _error(401, "unauthorized", "Key not found")
            return _error(400, "invalid_parameter", message)
        return None

    def _validate_response(self, request: _SpecRequest, answer: _Answer) -> None:
        data = json.dumps(answer.body).encode() if answer.body is not None else b""
        response = _SpecResponse(answer.status, data, Headers(dict(answer.headers)))
        try:
            brevo_openapi().validate_response(request, response)
        except ResponseNotFound:
            if answer.status not in UNDOCUMENTED_STATUSES:
                self._violation(
                    f"response {answer.status} to {request.method.upper()} {request.path}:"
                    " not a status Brevo's description gives for this operation"
                )
        except Exception as exc:
            self._violation(
                f"response {answer.status} to {request.method.upper()} {request.path}: "
                + _describe(exc)
            )

    def _violation(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    def _send(self, handler: _Handler, answer: _Answer) -> None:
        if answer.raw is not None:
            data, content_type = answer.raw, "text/html"
        elif answer.body is not None:
            data, content_type = json.dumps(answer.body).encode(), "application/json"
        else:
            data, content_type = b"", ""
        try:
            handler.send_response(answer.status)
            if content_type:
                handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client went away (a timeout)

    # --- Brevo's behaviour

    def _route(self, method: str, path: str, query: str, body: Any) -> _Answer:
        parts = path.removeprefix(PREFIX).strip("/").split("/")
        params = dict(parse_qsl(query))
        with self._lock:
            match method, parts:
                case "POST", ["contacts"]:
                    return self._create_contact(body)
                case "GET", ["contacts", "lists", list_id]:
                    return self._get_list(int(list_id))
                case "GET", ["contacts", "lists", list_id, "contacts"]:
                    return self._list_contacts(int(list_id), params)
                case "POST", ["contacts", "lists", list_id, "contacts", "remove"]:
                    return self._remove_from_list(int(list_id), body)
                case "GET", ["contacts", identifier]:
                    return self._with_contact(identifier, params, self._get_contact)
                case "PUT", ["contacts", identifier]:
                    return self._with_contact(identifier, params, self._update_contact, body)
                case "DELETE", ["contacts", identifier]:
                    return self._with_contact(identifier, params, self._delete_contact)
        return self._unsupported(f"{method} {path} is not implemented by the fake")

    def _unsupported(self, what: str) -> _Answer:
        self._violation(what)
        return _error(400, "invalid_parameter", what)

    def _find(self, identifier: str, kind: str | None) -> str | None:
        if kind == "contact_id" or (kind is None and identifier.isdigit()):
            return next(
                (e for e, c in self.contacts.items() if str(c.get("id")) == identifier), None
            )
        email = identifier.lower()
        return email if email in self.contacts else None

    def _with_contact(self, identifier: str, params: dict[str, str], action: Any, *args: Any):
        kind = params.get("identifierType")
        if kind not in (None, "email_id", "contact_id"):
            return self._unsupported(f"identifierType={kind} is not implemented by the fake")
        email = self._find(unquote(identifier), kind)
        if email is None:
            return _error(404, "document_not_found", "Contact does not exist")
        return action(email, *args)

    def _unknown_lists(self, list_ids: list[int]) -> _Answer | None:
        missing = [i for i in list_ids if i not in self.lists]
        if missing:
            return _error(400, "invalid_parameter", f"List ID does not exist: {missing[0]}")
        return None

    def _create_contact(self, body: dict[str, Any]) -> _Answer:
        if "email" not in body:
            return self._unsupported("a contact without an email is not implemented by the fake")
        email = body["email"].lower()
        list_ids = body.get("listIds", [])
        if (answer := self._unknown_lists(list_ids)) is not None:
            return answer
        if email in self.contacts:
            if not body.get("updateEnabled", False):
                return _error(
                    400,
                    "duplicate_parameter",
                    "Unable to create contact, email is already associated with another Contact",
                    metadata={"duplicate_identifiers": ["email"]},
                )
            record = self._record(email, self.contacts[email])
            record["list_ids"] |= set(list_ids)
            if "emailBlacklisted" in body:
                record["blocklisted"] = body["emailBlacklisted"]
            record["attributes"].update(body.get("attributes", {}))
            record["modified_at"] = _now()
            return _Answer(204)
        record = self._record(
            email,
            {
                "list_ids": set(list_ids),
                "blocklisted": body.get("emailBlacklisted", False),
                "attributes": dict(body.get("attributes", {})),
            },
        )
        self.contacts[email] = record
        return _Answer(201, {"id": record["id"]})

    def _details(self, email: str) -> dict[str, Any]:
        record = self._record(email, self.contacts[email])
        return {
            "email": email,
            "id": record["id"],
            "emailBlacklisted": record["blocklisted"],
            "smsBlacklisted": False,
            "createdAt": record["created_at"],
            "modifiedAt": record["modified_at"],
            "listIds": sorted(record["list_ids"]),
            "attributes": record["attributes"],
        }

    def _get_contact(self, email: str) -> _Answer:
        return _Answer(200, {**self._details(email), "statistics": {}})

    def _update_contact(self, email: str, body: dict[str, Any]) -> _Answer:
        record = self._record(email, self.contacts[email])
        attributes = dict(body.get("attributes", {}))
        new = attributes.pop("EMAIL", None)
        renamed = isinstance(new, str) and new.lower() != email
        if renamed and new.lower() in self.contacts:
            return _error(
                400,
                "duplicate_parameter",
                "Unable to update contact, email is already associated with another Contact",
                metadata={"duplicate_identifiers": ["email"]},
            )
        list_ids = body.get("listIds", [])
        if (answer := self._unknown_lists(list_ids)) is not None:
            return answer
        if renamed:
            self.contacts[new.lower()] = self.contacts.pop(email)
        record["attributes"].update(attributes)
        if "emailBlacklisted" in body:
            record["blocklisted"] = body["emailBlacklisted"]
        record["list_ids"] |= set(list_ids)
        record["list_ids"] -= set(body.get("unlinkListIds", []))
        record["modified_at"] = _now()
        return _Answer(204)

    def _delete_contact(self, email: str) -> _Answer:
        del self.contacts[email]
        return _Answer(204)

    def _get_list(self, list_id: int) -> _Answer:
        if list_id not in self.lists:
            return _error(404, "document_not_found", "List ID does not exist")
        members = [
            self._record(e, c) for e, c in self.contacts.items() if list_id in c.get("list_ids", ())
        ]
        blocklisted = sum(1 for c in members if c["blocklisted"])
        return _Answer(
            200,
            {
                "id": list_id,
                "name": self.lists[list_id],
                "totalBlacklisted": blocklisted,
                "totalSubscribers": len(members) - blocklisted,
                "uniqueSubscribers": len(members),
                "folderId": 1,
                "createdAt": "2024-01-01T00:00:00.000Z",
                "campaignStats": [],
                "dynamicList": False,
            },
        )

    def _list_contacts(self, list_id: int, params: dict[str, str]) -> _Answer:
        if list_id not in self.lists:
            return _error(404, "document_not_found", "List ID does not exist")
        limit = int(params.get("limit", 50))
        offset = int(params.get("offset", 0))
        members = sorted(
            (e for e, c in self.contacts.items() if list_id in c.get("list_ids", ())),
            key=lambda e: self._record(e, self.contacts[e])["id"],
            reverse=params.get("sort", "desc") == "desc",
        )
        page = members[offset : offset + limit]
        return _Answer(200, {"contacts": [self._details(e) for e in page], "count": len(members)})

    def _remove_from_list(self, list_id: int, body: dict[str, Any]) -> _Answer:
        if list_id not in self.lists:
            return _error(404, "document_not_found", "List ID does not exist")
        if "emails" not in body:
            return self._unsupported(
                "removing by ids, extIds or all is not implemented by the fake"
            )
        success, failure = [], []
        for email in body["emails"]:
            record = self.contacts.get(email.lower())
            if record is not None and list_id in record.get("list_ids", ()):
                record["list_ids"] = set(record["list_ids"]) - {list_id}
                success.append(email.lower())
            else:
                failure.append(email.lower())
        if not success:
            return _error(
                400, "invalid_parameter", "Contact already removed from list and/or does not exist"
            )
        # An empty array would be valid under both alternatives of the description's
        # "oneOf" (emails or ids): Brevo's answer is only checkable without one.
        contacts: dict[str, list[str]] = {"success": success}
        if failure:
            contacts["failure"] = failure
        return _Answer(201, {"contacts": contacts})


def _describe(exc: BaseException) -> str:
    """openapi-core's error with the schema errors behind it, on one line."""
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__
    while cause is not None:
        parts.append(f"{type(cause).__name__}: {cause}")
        for error in getattr(cause, "schema_errors", None) or ():
            parts.append(getattr(error, "message", str(error)))
        cause = cause.__cause__
    return " | ".join(" ".join(p.split()) for p in parts)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeBrevo

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-answer is not the test's failure


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so down() leaves no connection open.
    protocol_version = "HTTP/1.0"

    def _serve(self) -> None:
        try:
            self.server.fake._serve(self)
        except Exception as exc:  # a bug in the fake: make the test fail, and say why
            self.server.fake._violation(f"the fake failed: {_describe(exc)}")
            with contextlib.suppress(OSError):
                self.send_error(500)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_brevo() -> Iterator[FakeBrevo]:
    """A running fake Brevo; the test fails if any request or answer broke Brevo's spec."""
    fake = FakeBrevo().start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.violations, "requests or answers outside Brevo's OpenAPI description:\n" + (
        "\n".join(fake.violations)
    )
