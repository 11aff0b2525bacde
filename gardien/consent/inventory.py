"""The cookie inventory: every cookie and storage key the published manifest declares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gardien.audience.describe import describe
from gardien.manifest import Manifest
from gardien.manifest import wording as say
from gardien.manifest.schema import CONSENT_MAX_LIFETIME


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
            items.append(
                InventoryItem(
                    name=stored.name,
                    storage=stored.storage,
                    storage_label=say.storage(stored.storage, lang),
                    description=stored.description.get(lang),
                    purpose=purpose.id,
                    purpose_name=purpose.name.get(lang),
                    consent=purpose.consent,
                    consent_label=say.consent_kind(purpose.consent, lang),
                    service=service.name,
                    party=service.party,
                    party_label=say.party(service.party, lang),
                    provider=provider,
                    lifetime=say.lifetime(stored.lifetime, lang),
                    days=stored.lifetime.days,
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
    audience = describe(manifest, lang)
    return {
        "lang": lang,
        "choice_lifetime": say.duration(manifest.cookies.choice_lifetime, lang),
        "consent_max_lifetime": say.duration(CONSENT_MAX_LIFETIME, lang),
        "cookies": [asdict(item) for item in items],
        "vendors": sorted(vendors, key=lambda v: str(v["name"]).casefold()),
        # Gardien's own audience measurement and what makes it exempt; None without it.
        "audience": asdict(audience) if audience is not None else None,
    }
