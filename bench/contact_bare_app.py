"""The limit for contact messages: a plain WSGI callable doing, without Django, the writes
Gardien does when it receives one message (gardien/contact/services.py ``_store`` and the
anti-spam limit), in one transaction, on one persistent connection per worker.

For each ``POST`` of a JSON object from an allowed ``Origin``:

- the rate-limit read: the address's accepted submissions in the period (``antispam``);
- the message: the other answers as JSON and the sender's email, each Fernet-encrypted, a
  random reference, no person yet (``contact_contactmessage``);
- the accepted submission counted (``antispam_countedsubmission``).

Filing the message with the vault (the person, the last contact, the audit entries, the
staff notification) is the worker's, later, in Gardien as here: it is not measured.

What it leaves out: the form's validation (only "every field is text and the email has an
@"), Django's request handling, translations, and the JSON answer's wording.
Answers 201 with ``{"reference": …, "message": …}`` like ``POST /api/contact``.

Configured by the environment (bench/bench_contact_throughput.py sets it):
``CONTACT_BARE_DB`` (``sqlite:////abs/path.sqlite3`` or ``postgres://user@host:port/db``),
``CONTACT_BARE_SECRETS`` (the ``secrets.json`` that ``gardien secrets init`` wrote: the same
keys as Gardien's), ``CONTACT_BARE_ORIGINS`` (comma-separated), ``CONTACT_BARE_FIELDS``
(JSON list of the declared field names), ``CONTACT_BARE_EMAIL`` (the email field's name),
``CONTACT_BARE_VERSION`` (the published policy's number) and ``CONTACT_BARE_RATE`` (the
limit's submissions and seconds, "1000000/600"). Gardien's reverse-proxy rule applies: the
client is the last address of ``X-Forwarded-For``, else ``REMOTE_ADDR``.

Serve it with ``gunicorn --pythonpath bench contact_bare_app:application --workers 2``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from _bare_db import connect, is_sqlite
from cryptography.fernet import Fernet

DB_URL = os.environ.get("CONTACT_BARE_DB", "")
IS_SQLITE = is_sqlite(DB_URL)
_SECRETS = json.loads(Path(os.environ["CONTACT_BARE_SECRETS"]).read_text())
ORIGINS = frozenset(filter(None, os.environ.get("CONTACT_BARE_ORIGINS", "").split(",")))
FIELDS = json.loads(os.environ.get("CONTACT_BARE_FIELDS", "[]"))
EMAIL = os.environ.get("CONTACT_BARE_EMAIL", "email")
VERSION = int(os.environ.get("CONTACT_BARE_VERSION", "1"))
_SUBMISSIONS, _SECONDS = os.environ.get("CONTACT_BARE_RATE", "1000000/600").split("/")
RATE_SUBMISSIONS, RATE_PERIOD = int(_SUBMISSIONS), dt.timedelta(seconds=int(_SECONDS))

# Newest key first, as Gardien writes.
FERNET = Fernet(_SECRETS["GARDIEN_FIELD_KEYS"].split(",")[0].strip())
ACTIVITY = "contact"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACKNOWLEDGED = "Votre message a bien été reçu ; nous vous répondrons par courriel."


def _salted_hmac(salt: str, value: str) -> str:
    """Django's salted_hmac(salt, value, algorithm="sha256") under Gardien's SECRET_KEY."""
    key = hashlib.sha256((salt + _SECRETS["SECRET_KEY"]).encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _sql(text: str) -> str:
    return text.replace("%s", "?") if IS_SQLITE else text


RATE = _sql(
    "SELECT counted_at FROM antispam_countedsubmission WHERE scope = %s AND address_key = %s "
    "AND counted_at > %s ORDER BY counted_at DESC LIMIT %s"
)
NEW_MESSAGE = _sql(
    "INSERT INTO contact_contactmessage (id, reference, email, answers, lang, policy_version, "
    "received_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
COUNT_SUBMISSION = _sql(
    "INSERT INTO antispam_countedsubmission (scope, address_key, counted_at) VALUES (%s, %s, %s)"
)

_connection: Any = None


# Values as Django writes them: on SQLite UUIDs as 32 hex digits and times as naive UTC text;
# on PostgreSQL native uuid and timestamptz.
def _id(value: uuid.UUID) -> Any:
    return value.hex if IS_SQLITE else value


def _time(value: dt.datetime) -> Any:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ") if IS_SQLITE else value


def _store(cursor: Any, email: str, answers: dict[str, str], lang: str, client: str) -> str:
    """Every write of one received message; the message's reference."""
    now = dt.datetime.now(dt.UTC)
    address_key = _salted_hmac("gardien.antispam.address", client)
    cursor.execute(RATE, (ACTIVITY, address_key, _time(now - RATE_PERIOD), RATE_SUBMISSIONS))
    if len(cursor.fetchall()) >= RATE_SUBMISSIONS:
        raise PermissionError("rate limited")
    reference = "C-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))
    cursor.execute(
        NEW_MESSAGE,
        (
            _id(uuid.uuid4()),
            reference,
            _encrypt(email),
            _encrypt(json.dumps(answers, ensure_ascii=False)),
            lang,
            VERSION,
            _time(now),
        ),
    )
    cursor.execute(COUNT_SUBMISSION, (ACTIVITY, address_key, _time(now)))
    return reference


def _encrypt(text: str) -> str:
    return FERNET.encrypt(text.encode("utf-8")).decode("ascii")


def _answer(
    start_response: Callable[[str, list[tuple[str, str]]], Any], status: str, body: dict[str, Any]
) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    global _connection
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"bare contact app\n"]
    if environ.get("HTTP_ORIGIN", "") not in ORIGINS:
        return _answer(start_response, "403 Forbidden", {"error": "forbidden"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = json.loads(environ["wsgi.input"].read(length))
    values = {name: data.get(name) for name in FIELDS}
    email = values.get(EMAIL)
    if not all(isinstance(v, str) for v in values.values()) or "@" not in str(email):
        return _answer(start_response, "400 Bad Request", {"error": "invalid"})
    answers = {name: value for name, value in values.items() if name != EMAIL and value}
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    client = forwarded or environ.get("REMOTE_ADDR", "")
    lang = data.get("lang") if data.get("lang") in ("fr", "en") else "fr"
    if _connection is None:
        _connection = connect(DB_URL)
    if IS_SQLITE:
        _connection.execute("BEGIN IMMEDIATE")
        try:
            reference = _store(_connection.cursor(), str(email), answers, lang, client)
        except BaseException:
            _connection.execute("ROLLBACK")
            raise
        _connection.execute("COMMIT")
    else:
        try:
            with _connection.cursor() as cursor:
                reference = _store(cursor, str(email), answers, lang, client)
        except BaseException:
            _connection.rollback()
            raise
        _connection.commit()
    return _answer(start_response, "201 Created", {"reference": reference, "message": ACKNOWLEDGED})
