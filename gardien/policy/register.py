"""The record of processing activities (GDPR Art. 30(1) a–g) and the processor registry."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from gardien.manifest import Manifest, content_hash
from gardien.manifest import retention as grammar
from gardien.manifest.schema import LEGAL_BASES
from gardien.policy.document import location_names

ACTIVITY_COLUMNS = [
    ("id", "Activity id", "Identifiant"),
    ("name", "Activity", "Traitement"),
    ("controller", "(a) Controller and DPO", "(a) Responsable et DPO"),
    ("purpose", "(b) Purpose", "(b) Finalité"),
    ("legal_basis", "(b) Legal basis", "(b) Base légale"),
    ("data_subjects", "(c) Data subjects", "(c) Personnes concernées"),
    ("data_categories", "(c) Categories of personal data", "(c) Catégories de données"),
    ("recipients", "(d) Recipients", "(d) Destinataires"),
    ("transfers", "(e) Transfers to third countries", "(e) Transferts vers des pays tiers"),
    ("retention", "(f) Time limits for erasure", "(f) Durées de conservation"),
    ("security", "(g) Security measures", "(g) Mesures de sécurité"),
]

PROCESSOR_COLUMNS = [
    ("id", "Processor id", "Identifiant"),
    ("name", "Processor", "Sous-traitant"),
    ("entity", "Legal entity", "Entité juridique"),
    ("service", "Service", "Service"),
    ("country", "Country of establishment", "Pays d'établissement"),
    ("data_location", "Data location", "Localisation des données"),
    ("safeguards", "Transfer safeguards", "Garanties de transfert"),
    ("receives", "Data categories received", "Catégories de données reçues"),
    ("activities", "Activities", "Traitements"),
    ("dpa", "Data processing agreement", "Contrat de sous-traitance"),
    ("subprocessors_url", "Sub-processor list", "Liste des sous-traitants ultérieurs"),
]


def _controller(manifest: Manifest) -> dict[str, Any]:
    c, d = manifest.controller, manifest.dpo
    return {
        "name": c.name,
        "address": c.address,
        "email": c.email,
        "website": c.website,
        "dpo": {"name": d.name, "email": d.email, "postal_address": d.postal_address},
        "joint_controllers": [],
        "representative": None,
    }


def build(manifest: Manifest, lang: str = "fr") -> dict[str, Any]:
    """The whole register as plain data, in one language."""
    with translation.override(lang):
        return _build(manifest, lang)


def _build(manifest: Manifest, lang: str) -> dict[str, Any]:
    activities = []
    for a in manifest.activities:
        article, basis_fr, basis_en = LEGAL_BASES[a.legal_basis]
        activities.append(
            {
                "id": a.id,
                "name": a.name.get(lang),
                "controller": _controller(manifest),
                "purpose": a.purpose.get(lang),
                "legal_basis": {
                    "basis": a.legal_basis,
                    "label": basis_fr if lang == "fr" else basis_en,
                    "article": _("GDPR Art. %(article)s") % {"article": article},
                    "legitimate_interest": a.legitimate_interest.get(lang)
                    if a.legitimate_interest
                    else None,
                    "detail": a.legal_basis_detail.get(lang) if a.legal_basis_detail else None,
                    "consent_recorded_by": a.consent_recorded_by,
                },
                "data_subjects": [s.get(lang) for s in a.data_subjects],
                "data_categories": [
                    {"key": key, "name": manifest.category_name(key, lang)} for key in a.categories
                ],
                "fields": [
                    {
                        "name": f.name,
                        "label": f.label.get(lang),
                        "required": f.required,
                        "categories": list(f.categories),
                    }
                    for f in a.fields
                ],
                "recipients": {
                    "internal": a.internal_recipients.get(lang) if a.internal_recipients else None,
                    "processors": [
                        {
                            "id": p.id,
                            "name": p.name,
                            "entity": p.entity,
                            "country": p.country,
                            "data_location": list(p.data_location),
                        }
                        for p in (manifest.processor(r) for r in a.recipients)
                    ],
                },
                "transfers": [
                    {
                        "recipient": t.recipient,
                        "country": t.country,
                        "safeguard": t.safeguard.get(lang),
                    }
                    for t in a.transfers
                ],
                "retention": [
                    {
                        "record": a.id,
                        "what": a.name.get(lang),
                        "rule": a.retention,
                        "text": grammar.parse_rule(a.retention).phrase(lang),
                    },
                    *[
                        {
                            "record": r.id,
                            "what": r.what.get(lang),
                            "rule": r.retention,
                            "text": grammar.parse_rule(r.retention).phrase(lang),
                        }
                        for r in a.records
                    ],
                ],
                "security": manifest.policy.security.get(lang),
            }
        )
    processors = [
        {
            "id": p.id,
            "name": p.name,
            "entity": p.entity,
            "service": p.service.get(lang),
            "country": p.country,
            "data_location": list(p.data_location),
            "safeguards": p.safeguards.get(lang) if p.safeguards else None,
            "receives": list(p.receives),
            "activities": [a.id for a in manifest.activities_of(p.id)],
            "dpa": {"reference": p.dpa.reference, "date": p.dpa.date.isoformat(), "url": p.dpa.url},
            "subprocessors_url": p.subprocessors_url,
        }
        for p in manifest.processors
    ]
    return {
        "controller": _controller(manifest),
        "language": lang,
        "manifest_hash": content_hash(manifest),
        "activities": activities,
        "processors": processors,
    }


def _cell(key: str, value: Any, lang: str) -> str:
    """One spreadsheet cell: readable text, lists joined by '; '."""
    if value is None:
        return ""
    if key == "controller":
        return _("%(name)s, %(address)s, %(email)s — DPO: %(dpo)s") % {
            "name": value["name"],
            "address": value["address"],
            "email": value["email"],
            "dpo": value["dpo"]["email"],
        }
    if key == "legal_basis":
        parts = [f"{value['label']} ({value['article']})"]
        parts += [v for v in (value["legitimate_interest"], value["detail"]) if v]
        return " — ".join(parts)
    if key == "data_categories":
        return "; ".join(f"{c['name']} [{c['key']}]" for c in value)
    if key == "recipients":
        names = [
            f"{p['name']} ({location_names(p['data_location'], lang)})" for p in value["processors"]
        ]
        return "; ".join(([value["internal"]] if value["internal"] else []) + names)
    if key == "transfers":
        if not value:
            return "aucun" if lang == "fr" else "none"
        return "; ".join(f"{t['recipient']} → {t['country']} ({t['safeguard']})" for t in value)
    if key == "retention":
        return "; ".join(
            _("%(what)s: %(rule)s") % {"what": r["what"], "rule": r["text"]} for r in value
        )
    if key == "dpa":
        return f"{value['reference']} ({value['date']})"
    if key == "data_location":
        return location_names(value, lang)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def rows(register: dict[str, Any], what: str) -> tuple[list[str], list[list[str]]]:
    lang = register["language"]
    columns = ACTIVITY_COLUMNS if what == "activities" else PROCESSOR_COLUMNS
    header = [fr if lang == "fr" else en for _key, en, fr in columns]
    with translation.override(lang):
        body = [
            [_cell(key, item[key], lang) for key, _en, _fr in columns] for item in register[what]
        ]
    return header, body


def to_json(register: dict[str, Any]) -> str:
    return json.dumps(register, ensure_ascii=False, indent=2) + "\n"


def to_csv(register: dict[str, Any], what: str = "activities") -> str:
    header, body = rows(register, what)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


def to_html(register: dict[str, Any]) -> str:
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(register["language"]):
        return render_to_string("policy/register.html", context(register))


def context(register: dict[str, Any]) -> dict[str, Any]:
    activity_header, activity_rows = rows(register, "activities")
    processor_header, processor_rows = rows(register, "processors")
    return {
        "register": register,
        "activity_header": activity_header,
        "activity_rows": activity_rows,
        "processor_header": processor_header,
        "processor_rows": processor_rows,
    }
