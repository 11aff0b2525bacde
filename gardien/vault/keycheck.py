"""The keys checked at start: present, well-formed, and the ones the stored data needs.

A wrong field key makes every personal value unreadable; a wrong index key is worse, as it
fails silently: lookups find nobody and a rights request or a form creates a duplicate
person. So each key's fingerprint (an HMAC of a fixed label under the key, never the key)
is stored with the data, and Gardien refuses to start (web server, worker, ``gardien check
--deploy``, ``gardien keys check``) when a key the data needs is not configured, with one
sentence naming the key and what to do. On an empty database the fingerprints are recorded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from functools import cache

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from gardien.lib import clock, crypto

LABEL = b"gardien.key-fingerprint"
MIN_INDEX_KEY = 32


class KeyCheckError(Exception):
    """A key is missing, malformed or not the one the stored data was written with."""


@dataclass(frozen=True)
class Kind:
    kind: str
    setting: str  # the name an operator sets
    keys: tuple[str, ...]


def fingerprint(key: str) -> str:
    return hmac.new(key.encode("utf-8"), LABEL, hashlib.sha256).hexdigest()[:16]


def configured() -> list[Kind]:
    """Both kinds of key, each checked for its shape; raises on the first problem."""
    try:
        field = crypto.field_keys()
    except crypto.CryptoConfigError:
        raise KeyCheckError(_missing("GARDIEN_FIELD_KEYS")) from None
    for position, key in enumerate(field, start=1):
        if not _is_fernet_key(key):
            raise KeyCheckError(
                _(
                    "GARDIEN_FIELD_KEYS: key #%(position)d is malformed (it must be 32 bytes in "
                    "url-safe base64); set the key the data was written with, or generate a new "
                    "one with `gardien secrets generate` on a new installation."
                )
                % {"position": position}
            )
    try:
        index = crypto.index_keys()
    except crypto.CryptoConfigError:
        raise KeyCheckError(_missing("GARDIEN_BLIND_INDEX_KEY")) from None
    for position, key in enumerate(index, start=1):
        if len(key.encode("utf-8")) < MIN_INDEX_KEY:
            raise KeyCheckError(
                _(
                    "GARDIEN_BLIND_INDEX_KEY: key #%(position)d is too short (%(least)d "
                    "characters at least); set the key the data was indexed with, or generate a "
                    "new one with `gardien secrets generate` on a new installation."
                )
                % {"position": position, "least": MIN_INDEX_KEY}
            )
    return [
        Kind("field", "GARDIEN_FIELD_KEYS", field),
        Kind("index", "GARDIEN_BLIND_INDEX_KEY", index),
    ]


def check(*, record: bool = True) -> None:
    """Raise ``KeyCheckError`` unless every key is well-formed and the data's own; then
    record the configured keys' fingerprints (``record``)."""
    kinds = configured()
    from gardien.vault.models import KeyFingerprint

    with transaction.atomic():
        stored = {row.kind: row for row in KeyFingerprint.objects.select_for_update()}
        if not stored:
            _check_sample(kinds)  # a database from before fingerprints, or an empty one
        for kind in kinds:
            row = stored.get(kind.kind)
            prints = [fingerprint(key) for key in kind.keys]
            if row is not None:
                absent = [known for known in row.known if known not in prints]
                if absent:
                    raise KeyCheckError(_wrong(kind))
            if record:
                known = sorted(set(prints) | set(row.known if row else []))
                KeyFingerprint.objects.update_or_create(
                    kind=kind.kind,
                    defaults={"newest": prints[0], "known": known, "recorded_at": clock.now()},
                )


def rotated() -> None:
    """After a finished ``gardien keys rotate``: the data needs only the newest keys now."""
    from gardien.vault.models import KeyFingerprint

    for kind in configured():
        newest = fingerprint(kind.keys[0])
        KeyFingerprint.objects.update_or_create(
            kind=kind.kind,
            defaults={"newest": newest, "known": [newest], "recorded_at": clock.now()},
        )


def ensure_checked() -> None:
    """The check, once per process and set of keys: cheap enough to guard every creation of
    a person against a duplicate made under a wrong index key."""
    _checked(crypto.field_keys(), crypto.index_keys())


@cache
def _checked(field: tuple[str, ...], index: tuple[str, ...]) -> bool:
    check()
    return True


def check_at_start() -> None:
    """For the web server and the worker: stop with the sentence, not a traceback."""
    try:
        check()
    except KeyCheckError as exc:
        raise SystemExit(_("Gardien cannot start: %(reason)s") % {"reason": exc}) from None
    except DatabaseError:
        return  # not migrated yet: `gardien migrate` comes first, and fingerprints after it


def _check_sample(kinds: list[Kind]) -> None:
    """With no fingerprint stored, try the keys on one person, if there is one."""
    from gardien.vault.models import Person

    field, index_kind = kinds
    try:  # the email is decrypted as it is read, under the configured field keys
        row = Person.objects.order_by("pk").values_list("email", "email_index").first()
    except crypto.DecryptionError:
        raise KeyCheckError(_wrong(field)) from None
    if row is None or not row[0]:
        return
    plain, index = row
    expected = {crypto.blind_index(crypto.normalise_email(plain), key) for key in index_kind.keys}
    if index and index not in expected:
        raise KeyCheckError(_wrong(index_kind))


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def _missing(setting: str) -> str:
    return _(
        "%(setting)s is not set; set it to the key the data was written with, or generate one "
        "with `gardien secrets generate` on a new installation."
    ) % {"setting": setting}


def _wrong(kind: Kind) -> str:
    if kind.kind == "field":
        sentence = _(
            "%(setting)s is not the key the stored data was encrypted with (its fingerprint "
            "differs); set the key the data needs (a new key goes first, before the old one, "
            "until `gardien keys rotate` has finished)."
        )
    else:
        sentence = _(
            "%(setting)s is not the key the stored data was indexed with (its fingerprint "
            "differs); set the key the data needs (a new key goes first, before the old one, "
            "until `gardien keys rotate` has finished)."
        )
    return sentence % {"setting": kind.setting}
