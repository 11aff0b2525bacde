"""The banner's configuration document (docs/consent.md), built from a published version.

A published version never changes, so neither does its document: each (version, language)
is built once per process and kept in memory. Which version is the latest comes from the
published-policy service (gardien.policy.services), whose cache and invalidation this
follows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from gardien.consent.texts import CHANGE_LABELS, banner_texts
from gardien.manifest import Manifest
from gardien.manifest import wording as say
from gardien.policy import services as policy

LANGUAGES = say.LANGUAGES
COOKIE_NAME = "eu-consent"
#: Purposes the visitor decides on: ``decisions`` names exactly these.
SWITCHED = ("required", "exempt_with_opt_out")
#: The audience beacon, a static file the banner loads (gardien/audience/static).
BEACON = "audience/beacon.js"
#: Where the beacon sends page views (docs/audience.md).
AUDIENCE_API = "/api/audience"


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


def _absolute(name: str, lang: str | None = None) -> str:
    path = reverse(name, kwargs={"lang": lang} if lang else None)
    return f"{settings.SITE_URL}{path}"


def audience_beacon(manifest: Manifest) -> dict[str, Any] | None:
    """What the banner hands the audience beacon (docs/audience.md, "Beacon"); None without
    ``[audience]``. The identifier's lifetime is the declared storage item's, so the
    inventory, the policy and the beacon give the same one."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    from gardien.audience.describe import visitor_item

    audience = manifest.audience
    if audience is None:
        return None
    item = visitor_item(manifest)
    return {
        "purpose": audience.purpose,
        "api": f"{settings.SITE_URL}{AUDIENCE_API}",
        # The hashed, immutable name: a new release changes the document, hence its hash.
        "script": f"{settings.SITE_URL}{staticfiles_storage.url(BEACON)}",
        "query": list(audience.query_parameters),
        "visitor": {"key": item.name, "days": item.lifetime.days} if item else None,
    }


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
                items.append(
                    {
                        "name": item.name,
                        "storage": item.storage,
                        "lifetime": say.lifetime(item.lifetime, lang),
                        "days": item.lifetime.days,
                    }
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
        "choice_days": cookies.choice_lifetime.days,
        "api": _absolute("consent-api"),
        "policy_url": _absolute("policy-lang", lang),
        "inventory_url": _absolute("consent-inventory-lang", lang),
        "nojs_url": _absolute("consent-page-lang", lang),
        "google_consent_mode": any(s.google_tag for s in cookies.services),
        "purposes": purposes,
        "vendors": vendors,
        "changes": changes_line(previous, manifest, lang),
        "text": banner_texts(manifest, lang),
        "theme": cookies.theme.model_dump() if cookies.theme else None,
        "audience": audience_beacon(manifest),
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


def _configuration(version: policy.Published, lang: str) -> Configuration:
    manifest = version.manifest
    previous = policy.version(version.number - 1) if version.number > 1 else None
    document = build_document(
        manifest, version.number, lang, previous.manifest if previous is not None else None
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


# Built documents, per (version, language, Gardien's address); dropped with the published
# policy's cache (gardien.policy.services), whose invalidation is the only one.
_built: dict[tuple[int, str, str], Configuration] = {}
_lock = threading.Lock()


def _forget_built() -> None:
    with _lock:
        _built.clear()


policy.on_change(_forget_built)


def configuration(number: int, lang: str) -> Configuration | None:
    """The document of published version ``number`` in ``lang``; None if there is none."""
    if lang not in LANGUAGES or number < 1:
        return None
    key = (number, lang, settings.SITE_URL)
    found = _built.get(key)
    if found is not None:
        return found
    version = policy.version(number, recheck=True)
    if version is None:
        return None
    built = _configuration(version, lang)
    _freeze(built)
    with _lock:
        _built[key] = built
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
    latest = policy.latest_number()
    return configuration(latest, lang) if latest is not None else None
