"""The limit for contact messages: a plain WSGI callable doing, without Django, the writes
Gardien does for one message (gardien/contact/services.py ``_store`` and the anti-spam
limit), in one transaction, on one persistent connection per worker.

For each ``POST`` of a JSON object from an allowed ``Origin``, with a new email address:

- the rate-limit read: the address's accepted submissions in the period (``antispam``);
- the person looked up by the keyed blind index of the email, and created: email
  Fernet-encrypted, HMAC-SHA256 index (``vault_person``), with its audit entry;
- the message: the other answers as JSON, Fernet-encrypted, a random reference
  (``contact_contactmessage``);
- the person's last contact for ``contact`` moved (``vault_lastcontact``: an UPDATE, then
  an INSERT … ON CONFLICT DO NOTHING where Gardien reads before it inserts);
- the message's audit entry, chained to the previous one by SHA-256 (``audit_auditentry``,
  the newest entry read first; on PostgreSQL under the same advisory lock as Gardien's);
- the staff notification enqueued: the django-tasks-db row and its outbox item;
- the accepted submission counted (``antispam_countedsubmission``; Gardien does this in a
  second transaction, once the message is stored).

What it leaves out: the form's validation (only "every field is text and the email has an
@"), Django's request handling and middleware, translations, and the JSON answer's wording.
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
import unicodedata
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
INDEX_KEY = _SECRETS["GARDIEN_BLIND_INDEX_KEY"].split(",")[0].strip()
INDEX_KEY_ID = hashlib.sha256(INDEX_KEY.encode()).hexdigest()[:8]
ACTIVITY = "contact"
TASK = "gardien.contact.tasks.notify_staff"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACKNOWLEDGED = "Votre message a bien été reçu ; nous vous répondrons par courriel."
AUDIT_LOCK = int.from_bytes(b"gardaudt", "big")  # gardien/audit/services.py's
NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)  # django-tasks-db's "no run_after"


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
FIND_PERSON = _sql("SELECT id FROM vault_person WHERE email_index = %s LIMIT 1")
NEW_PERSON = _sql(
    "INSERT INTO vault_person (id, email, email_index, created_at) VALUES (%s, %s, %s, %s)"
)
NEW_MESSAGE = _sql(
    "INSERT INTO contact_contactmessage (id, reference, answers, lang, policy_version, "
    "received_at, person_id) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
MOVE_CONTACT = _sql(
    "UPDATE vault_lastcontact SET at = %s WHERE person_id = %s AND activity = %s AND at < %s"
)
FIRST_CONTACT = _sql(
    "INSERT INTO vault_lastcontact (person_id, activity, at) VALUES (%s, %s, %s) "
    "ON CONFLICT DO NOTHING"
)
LAST_AUDIT = "SELECT position, hash FROM audit_auditentry ORDER BY position DESC LIMIT 1"
NEW_AUDIT = _sql(
    "INSERT INTO audit_auditentry (position, at, actor_kind, actor_ref, action, target_type, "
    "target_ref, reason, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
NEW_TASK = _sql(
    "INSERT INTO django_tasks_database_dbtaskresult (id, args_kwargs, priority, task_path, "
    "queue_name, backend_name, run_after, enqueued_at, exception_class_path, traceback, "
    "worker_ids, status) VALUES (%s, %s, 0, %s, 'default', 'default', %s, %s, '', '', %s, "
    "'READY')"
)
NEW_OUTBOX_ITEM = _sql(
    "INSERT INTO processors_outboxitem (id, task_path, arguments, state, attempts, last_error, "
    "next_attempt_at, task_result_id, created_at, updated_at) "
    "VALUES (%s, %s, %s, 'pending', 0, '', %s, %s, %s, %s)"
)
COUNT_SUBMISSION = _sql(
    "INSERT INTO antispam_countedsubmission (scope, address_key, counted_at) VALUES (%s, %s, %s)"
)

_connection: Any = None


# Values as Django writes them: on SQLite UUIDs as 32 hex digits, times as naive UTC text and
# JSON as text; on PostgreSQL native uuid, timestamptz and jsonb.
def _id(value: uuid.UUID) -> Any:
    return value.hex if IS_SQLITE else value


def _time(value: dt.datetime) -> Any:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ") if IS_SQLITE else value


def _json(value: Any) -> Any:
    if IS_SQLITE:
        return json.dumps(value)
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def _audit(cursor: Any, now: dt.datetime, actor: tuple[str, str], target: tuple[str, str]) -> None:
    """Append one entry to the chain, hashed as gardien.audit.services.entry_hash does."""
    if not IS_SQLITE:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
    last = cursor.execute(LAST_AUDIT).fetchone()
    position, prev_hash = (last[0] + 1, last[1]) if last else (1, "0" * 64)
    entry = {
        "position": position,
        "at": now.isoformat(timespec="microseconds"),
        "actor_kind": actor[0],
        "actor_ref": actor[1],
        "action": "create",
        "target_type": target[0],
        "target_ref": target[1],
        "reason": ACTIVITY,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(canonical.encode("ascii")).hexdigest()
    cursor.execute(
        NEW_AUDIT,
        (position, _time(now), *actor, "create", *target, ACTIVITY, prev_hash, digest),
    )


def _store(cursor: Any, email: str, answers: dict[str, str], lang: str, client: str) -> str:
    """Every write of one message; the message's reference."""
    now = dt.datetime.now(dt.UTC)
    address_key = _salted_hmac("gardien.antispam.address", client)
    cursor.execute(RATE, (ACTIVITY, address_key, _time(now - RATE_PERIOD), RATE_SUBMISSIONS))
    if len(cursor.fetchall()) >= RATE_SUBMISSIONS:
        raise PermissionError("rate limited")
    normalised = unicodedata.normalize("NFKC", email).strip().lower()
    digest = hmac.new(INDEX_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()
    index = f"{INDEX_KEY_ID}:{digest}"
    found = cursor.execute(FIND_PERSON, (index,)).fetchone()
    if found:
        person = uuid.UUID(str(found[0]))
    else:
        person = uuid.uuid4()
        cursor.execute(NEW_PERSON, (_id(person), _encrypt(normalised), index, _time(now)))
        _audit(cursor, now, ("system", "system"), ("vault.person", str(person)))
    message = uuid.uuid4()
    reference = "C-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))
    encrypted = _encrypt(json.dumps(answers, ensure_ascii=False))
    cursor.execute(
        NEW_MESSAGE,
        (_id(message), reference, encrypted, lang, VERSION, _time(now), _id(person)),
    )
    cursor.execute(MOVE_CONTACT, (_time(now), _id(person), ACTIVITY, _time(now)))
    if not cursor.rowcount:
        cursor.execute(FIRST_CONTACT, (_id(person), ACTIVITY, _time(now)))
    _audit(cursor, now, ("subject", str(person)), ("contact.contactmessage", str(message)))
    task = uuid.uuid4()
    arguments = {"args": [str(person), str(message)], "kwargs": {}}
    cursor.execute(
        NEW_TASK, (_id(task), _json(arguments), TASK, _time(NEVER), _time(now), _json([]))
    )
    cursor.execute(
        NEW_OUTBOX_ITEM,
        (_id(uuid.uuid4()), TASK, _json(arguments), _time(now), _id(task), _time(now), _time(now)),
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
