"""The cookie inventory: every cookie and storage key the published manifest declares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gardien.consent.config import days_in
from gardien.manifest import Manifest
from gardien.manifest.retention import parse_duration

_CONSENT = {
    "required": ("consentement nécessaire", "consent needed"),
    "exempt_with_opt_out": (
        "exempté de consentement, opposition possible",
        "exempt from consent, you can object",
    ),
    "not_needed": ("pas de consentement nécessaire", "no consent needed"),
}
_PARTY = {"first": ("ce site", "this site"), "third": ("tiers", "third party")}
_STORAGE = {
    "cookie": ("cookie", "cookie"),
    "local_storage": ("stockage local", "local storage"),
    "session_storage": ("stockage de session", "session storage"),
}
_SESSION = ("le temps de la session", "for the session")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "fr" else pair[1]


@dataclass(frozen=True)
class InventoryItem:
    name: str
    storage: str
    storage_label: str
    description: str
    purpose: str
    purpose_name: str
    consent: str  # required | exempt_with_opt_out | not_needed
    consent_label: str
    service: str
    party: str
    party_label: str
    provider: str | None
    lifetime: str
    days: int | None


def build(manifest: Manifest, lang: str) -> dict[str, Any]:
    processors = {p.id: p for p in manifest.processors}
    purposes = {p.id: p for p in manifest.cookies.purposes}
    items = []
    for service in manifest.cookies.services:
        purpose = purposes[service.purpose]
        provider = processors[service.provider].name if service.provider else None
        for stored in service.cookies:
            duration = stored.duration
            items.append(
                InventoryItem(
                    name=stored.name,
                    storage=stored.storage,
                    storage_label=_pick(_STORAGE[stored.storage], lang),
                    description=stored.description.get(lang),
                    purpose=purpose.id,
                    purpose_name=purpose.name.get(lang),
                    consent=purpose.consent,
                    consent_label=_pick(_CONSENT[purpose.consent], lang),
                    service=service.name,
                    party=service.party,
                    party_label=_pick(_PARTY[service.party], lang),
                    provider=provider,
                    lifetime=duration.phrase(lang) if duration else _pick(_SESSION, lang),
                    days=days_in(duration) if duration else None,
                )
            )
    vendors = []
    for provider_id in dict.fromkeys(s.provider for s in manifest.cookies.services if s.provider):
        processor = processors[provider_id]
        vendors.append(
            {
                "id": processor.id,
                "name": processor.name,
                "entity": processor.entity,
                "privacy_url": processor.privacy_url,
            }
        )
    return {
        "lang": lang,
        "choice_lifetime": parse_duration(manifest.cookies.choice_lifetime).phrase(lang),
        "cookies": [asdict(item) for item in items],
        "vendors": sorted(vendors, key=lambda v: str(v["name"]).casefold()),
    }
