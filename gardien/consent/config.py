"""The banner's configuration document (docs/consent.md), built from a published version.

A published version never changes, so neither does its document: each (version, language)
is built once per process and kept in memory. Which version is the latest is asked of the
database at most every ``LATEST_CHECK_SECONDS``, so a new publication reaches every web
process a few seconds after ``gardien policy publish`` without a query per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.urls import reverse

from gardien.consent.texts import CHANGE_LABELS, banner_texts
from gardien.manifest import Manifest
from gardien.manifest.retention import Duration, parse_duration
from gardien.policy.models import PolicyVersion

LANGUAGES = ("fr", "en")
COOKIE_NAME = "eu-consent"
#: Purposes the visitor decides on: ``decisions`` names exactly these.
SWITCHED = ("required", "exempt_with_opt_out")
LATEST_CHECK_SECONDS = 5.0
# A choice naming a newer version than the one known here asks again, at most this often.
RECHECK_SECONDS = 0.5
_SESSION = {"fr": "le temps de la session", "en": "for the session"}


def days_in(duration: Duration) -> int:
    """Whole days in a duration, the same whatever the date.

    A month counts 30.4375 days (365.25 / 12, the mean month of the four-year leap cycle)
    and a year 365.25, rounded down: 12 months are 365 days, 13 months 395.
    """
    if duration.unit == "days":
        return duration.amount
    if duration.unit == "weeks":
        return 7 * duration.amount
    if duration.unit == "months":
        return duration.amount * 487 // 16
    return duration.amount * 1461 // 4


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def purposes_hash(manifest: Manifest) -> str:
    """Fingerprint of the purposes, services and cookies (both languages): a change re-prompts."""
    return sha256_hex(
        {
            "purposes": [p.model_dump(mode="json") for p in manifest.cookies.purposes],
            "services": [s.model_dump(mode="json") for s in manifest.cookies.services],
        }
    )


def changes_line(previous: Manifest | None, manifest: Manifest, lang: str) -> str:
    """One short line on the purposes and services added, removed or changed; "" if none."""
    if previous is None:
        return ""
    old_purposes = {p.id: p for p in previous.cookies.purposes}
    new_purposes = {p.id: p for p in manifest.cookies.purposes}
    old_services = {s.id: s for s in previous.cookies.services}
    new_services = {s.id: s for s in manifest.cookies.services}
    added = [p.name.get(lang) for p in manifest.cookies.purposes if p.id not in old_purposes]
    added += [
        s.name
        for s in manifest.cookies.services
        if s.id not in old_services and s.purpose in old_purposes
    ]
    removed = [p.name.get(lang) for p in previous.cookies.purposes if p.id not in new_purposes]
    removed += [
        s.name
        for s in previous.cookies.services
        if s.id not in new_services and s.purpose in new_purposes
    ]
    changed = []
    for purpose in manifest.cookies.purposes:
        if purpose.id not in old_purposes:
            continue
        services_changed = any(
            s.purpose == purpose.id and s.id in old_services and old_services[s.id] != s
            for s in manifest.cookies.services
        )
        if old_purposes[purpose.id] != purpose or services_changed:
            changed.append(purpose.name.get(lang))
    labels = CHANGE_LABELS[lang]
    parts = [
        labels[kind] + ", ".join(names)
        for kind, names in (("new", added), ("removed", removed), ("changed", changed))
        if names
    ]
    return " · ".join(parts)


def _lifetime(text: str, lang: str) -> tuple[str, int | None]:
    if text == "session":
        return _SESSION[lang], None
    duration = parse_duration(text)
    return duration.phrase(lang), days_in(duration)


def _absolute(name: str, lang: str | None = None) -> str:
    path = reverse(name, kwargs={"lang": lang} if lang else None)
    return f"{settings.SITE_URL}{path}"


def build_document(
    manifest: Manifest, number: int, lang: str, previous: Manifest | None
) -> dict[str, Any]:
    """The configuration document of version ``number`` in ``lang``, its hash included."""
    processors = {p.id: p.name for p in manifest.processors}
    cookies = manifest.cookies
    purposes = []
    for purpose in cookies.purposes:
        services = []
        for service in cookies.services:
            if service.purpose != purpose.id:
                continue
            items = []
            for item in service.cookies:
                lifetime, days = _lifetime(item.lifetime, lang)
                items.append(
                    {"name": item.name, "storage": item.storage, "lifetime": lifetime, "days": days}
                )
            services.append(
                {
                    "id": service.id,
                    "name": service.name,
                    "party": service.party,
                    "provider": processors[service.provider] if service.provider else None,
                    "cookies": items,
                }
            )
        purposes.append(
            {
                "id": purpose.id,
                "name": purpose.name.get(lang),
                "description": purpose.description.get(lang),
                "consent": purpose.consent,
                "consent_mode": purpose.consent_mode,
                "services": services,
            }
        )
    vendors = sorted(
        {processors[s.provider] for s in cookies.services if s.provider}, key=str.casefold
    )
    document: dict[str, Any] = {
        "version": number,
        "purposes_hash": purposes_hash(manifest),
        "lang": lang,
        "cookie": COOKIE_NAME,
        "choice_days": days_in(parse_duration(cookies.choice_lifetime)),
        "api": _absolute("consent-api"),
        "policy_url": _absolute("policy-lang", lang),
        "inventory_url": _absolute("consent-inventory-lang", lang),
        "nojs_url": _absolute("consent-page-lang", lang),
        "google_consent_mode": any(s.google_tag for s in cookies.services),
        "purposes": purposes,
        "vendors": vendors,
        "changes": changes_line(previous, manifest, lang),
        "text": banner_texts(manifest, lang),
    }
    digest = sha256_hex(document)
    return {"version": number, "hash": digest, **document}


@dataclass(frozen=True)
class Configuration:
    """A built document and what recording a choice against it needs."""

    version: int
    lang: str
    hash: str
    purposes_hash: str
    choice_days: int
    published_at: dt.datetime
    document: dict[str, Any]
    body: bytes  # the document as served
    switched: tuple[str, ...]  # purposes with a switch, in the manifest's order
    required: frozenset[str]  # those needing consent (off unless granted)
    manifest: Manifest


def _configuration(
    version: PolicyVersion, previous: PolicyVersion | None, lang: str
) -> Configuration:
    manifest = version.load()
    document = build_document(
        manifest, version.number, lang, previous.load() if previous is not None else None
    )
    purposes = manifest.cookies.purposes
    return Configuration(
        version=version.number,
        lang=lang,
        hash=document["hash"],
        purposes_hash=document["purposes_hash"],
        choice_days=document["choice_days"],
        published_at=version.published_at,
        document=document,
        body=json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
        switched=tuple(p.id for p in purposes if p.consent in SWITCHED),
        required=frozenset(p.id for p in purposes if p.consent == "required"),
        manifest=manifest,
    )


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.latest: tuple[int, str] | None = None
        self.checked_at = float("-inf")
        self.built: dict[tuple[int, str, str], Configuration] = {}


_cache = _Cache()


def invalidate(**_kwargs: Any) -> None:
    """Forget every built document (a version was published, or the database changed)."""
    with _cache.lock:
        _cache.clear()


post_save.connect(invalidate, sender=PolicyVersion, dispatch_uid="consent-config-save")
post_delete.connect(invalidate, sender=PolicyVersion, dispatch_uid="consent-config-delete")


def latest_number(max_age: float | None = None) -> int | None:
    """The latest published version's number, re-read when older than ``max_age`` seconds."""
    now = time.monotonic()
    if now - _cache.checked_at < (LATEST_CHECK_SECONDS if max_age is None else max_age):
        return _cache.latest[0] if _cache.latest else None
    row = PolicyVersion.objects.order_by("-number").values_list("number", "content_hash").first()
    with _cache.lock:
        if row != _cache.latest:
            # A new publication, or another database altogether (tests): rebuild everything.
            _cache.clear()
            _cache.latest = row
        _cache.checked_at = now
    return row[0] if row else None


def configuration(number: int, lang: str) -> Configuration | None:
    """The document of published version ``number`` in ``lang``; None if there is none."""
    if lang not in LANGUAGES or number < 1:
        return None
    key = (number, lang, settings.SITE_URL)
    found = _cache.built.get(key)
    if found is not None:
        return found
    latest = latest_number()
    if latest is None or number > latest:
        # A version published a moment ago, that this process has not heard of yet?
        latest = latest_number(max_age=RECHECK_SECONDS)
        if latest is None or number > latest:
            return None
    rows = {v.number: v for v in PolicyVersion.objects.filter(number__in=[number, number - 1])}
    if number not in rows:
        return None
    built = _configuration(rows[number], rows.get(number - 1), lang)
    _freeze(built)
    with _cache.lock:
        _cache.built[key] = built
    return built


def _freeze(built: Configuration) -> None:
    """Keep the document exactly as served, once per hash (see ShownConfiguration)."""
    from django.db import IntegrityError, transaction

    from gardien.consent.models import ShownConfiguration
    from gardien.lib import clock

    if ShownConfiguration.objects.filter(hash=built.hash).exists():
        return
    try:
        with transaction.atomic():
            ShownConfiguration.objects.create(
                hash=built.hash,
                version=built.version,
                lang=built.lang,
                body=built.body.decode("utf-8"),
                first_served_at=clock.now(),
            )
    except IntegrityError:  # another process froze it at the same moment
        pass


def shown(hash_hex: str) -> bytes | None:
    """The document served under ``hash_hex``, byte for byte, or None."""
    from gardien.consent.models import ShownConfiguration

    body = ShownConfiguration.objects.filter(hash=hash_hex).values_list("body", flat=True).first()
    return body.encode("utf-8") if body is not None else None


def current(lang: str) -> Configuration | None:
    """The document of the latest published version in ``lang``; None before any publication."""
    latest = latest_number()
    return configuration(latest, lang) if latest is not None else None
