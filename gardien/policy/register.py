"""The record of processing activities (GDPR Art. 30(1) a–g) and the processor registry."""

from __future__ import annotations

import io
import json
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from gardien.audience.describe import describe
from gardien.lib.spreadsheet import csv_writer
from gardien.manifest import Manifest, content_hash
from gardien.manifest import wording as say
from gardien.policy import document

ACTIVITY_COLUMNS = [
    ("id", {"fr": "Identifiant", "en": "Activity id"}),
    ("name", {"fr": "Traitement", "en": "Activity"}),
    ("controller", {"fr": "(a) Responsable et DPO", "en": "(a) Controller and DPO"}),
    ("purpose", {"fr": "(b) Finalité", "en": "(b) Purpose"}),
    ("legal_basis", {"fr": "(b) Base légale", "en": "(b) Legal basis"}),
    ("data_subjects", {"fr": "(c) Personnes concernées", "en": "(c) Data subjects"}),
    (
        "data_categories",
        {"fr": "(c) Catégories de données", "en": "(c) Categories of personal data"},
    ),
    ("recipients", {"fr": "(d) Destinataires", "en": "(d) Recipients"}),
    (
        "transfers",
        {"fr": "(e) Transferts vers des pays tiers", "en": "(e) Transfers to third countries"},
    ),
    ("retention", {"fr": "(f) Durées de conservation", "en": "(f) Time limits for erasure"}),
    ("security", {"fr": "(g) Mesures de sécurité", "en": "(g) Security measures"}),
]

PROCESSOR_COLUMNS = [
    ("id", {"fr": "Identifiant", "en": "Processor id"}),
    ("name", {"fr": "Sous-traitant", "en": "Processor"}),
    ("entity", {"fr": "Entité juridique", "en": "Legal entity"}),
    ("service", {"fr": "Service", "en": "Service"}),
    ("country", {"fr": "Pays d'établissement", "en": "Country of establishment"}),
    ("data_location", {"fr": "Localisation des données", "en": "Data location"}),
    ("safeguards", {"fr": "Garanties de transfert", "en": "Transfer safeguards"}),
    ("receives", {"fr": "Catégories de données reçues", "en": "Data categories received"}),
    ("activities", {"fr": "Traitements", "en": "Activities"}),
    ("dpa", {"fr": "Contrat de sous-traitance", "en": "Data processing agreement"}),
    (
        "subprocessors_url",
        {"fr": "Liste des sous-traitants ultérieurs", "en": "Sub-processor list"},
    ),
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
    """The whole register as plain data, in one language, from the policy's view model."""
    with translation.override(lang):
        return _build(manifest, lang)


def _activity(
    a: document.ActivityView, controller: dict[str, Any], security: str, exemption: str = ""
) -> dict:
    return {
        "id": a.id,
        "name": a.name,
        "controller": controller,
        "purpose": a.purpose,
        "legal_basis": {
            "basis": a.basis_key,
            "label": a.basis,
            "article": _("GDPR Art. %(article)s") % {"article": a.basis_article},
            "legitimate_interest": a.interest or None,
            "detail": a.basis_detail or None,
            "consent_recorded_by": a.consent_recorded_by or None,
            # Gardien's audience measurement: who measures, what, how long, why exempt.
            "exemption": exemption or None,
        },
        "data_subjects": a.subjects,
        "data_categories": [{"key": c.key, "name": c.name} for c in a.category_views],
        "fields": [
            {
                "name": f.name,
                "label": f.label,
                "required": f.required,
                "categories": f.category_keys,
            }
            for f in a.fields
        ],
        "recipients": {
            "internal": a.internal_recipients or None,
            "processors": [
                {
                    "id": p.id,
                    "name": p.name,
                    "entity": p.entity,
                    "country": p.country,
                    "data_location": p.data_location,
                    "location": p.location,
                }
                for p in a.recipients
            ],
        },
        "transfers": [
            {
                "recipient": t.recipient_id,
                "country": t.country_code,
                "country_name": t.country,
                "safeguard": t.safeguard,
            }
            for t in a.transfers
        ],
        "retention": [
            {"record": r.id, "what": r.what, "rule": r.rule, "text": r.retention}
            for r in a.retention_schedule
        ],
        "security": security,
    }


def _processor(p: document.RecipientView) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "entity": p.entity,
        "service": p.service,
        "country": p.country,
        "data_location": p.data_location,
        "location": p.location,
        "safeguards": p.safeguards or None,
        "receives": p.receives_keys,
        "activities": p.activity_ids,
        "dpa": {"reference": p.dpa, "date": p.dpa_date, "url": p.dpa_url or None},
        "subprocessors_url": p.subprocessors_url or None,
    }


def _build(manifest: Manifest, lang: str) -> dict[str, Any]:
    controller = _controller(manifest)
    security = manifest.policy.security.get(lang)
    audience = describe(manifest, lang)
    exempt = {audience.activity: audience.text()} if audience is not None else {}
    return {
        "controller": controller,
        "language": lang,
        "manifest_hash": content_hash(manifest),
        "activities": [
            _activity(a, controller, security, exempt.get(a.id, ""))
            for a in document.activities(manifest, lang)
        ],
        "processors": [_processor(p) for p in document.processors(manifest, lang).values()],
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
        parts += [value["exemption"]] if value.get("exemption") else []
        return " — ".join(parts)
    if key == "data_categories":
        return "; ".join(f"{c['name']} [{c['key']}]" for c in value)
    if key == "recipients":
        names = [f"{p['name']} ({p['location']})" for p in value["processors"]]
        return "; ".join(([value["internal"]] if value["internal"] else []) + names)
    if key == "transfers":
        if not value:
            return _("none")
        return "; ".join(
            f"{t['recipient']} → {t['country_name']} ({t['safeguard']})" for t in value
        )
    if key == "retention":
        return "; ".join(
            _("%(what)s: %(rule)s") % {"what": r["what"], "rule": r["text"]} for r in value
        )
    if key == "dpa":
        return f"{value['reference']} ({value['date']})"
    if key == "data_location":
        return say.countries(value, lang)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def rows(register: dict[str, Any], what: str) -> tuple[list[str], list[list[str]]]:
    lang = register["language"]
    columns = ACTIVITY_COLUMNS if what == "activities" else PROCESSOR_COLUMNS
    header = [say.pick(name, lang) for _key, name in columns]
    with translation.override(lang):
        body = [[_cell(key, item[key], lang) for key, _name in columns] for item in register[what]]
    return header, body


def to_json(register: dict[str, Any]) -> str:
    return json.dumps(register, ensure_ascii=False, indent=2) + "\n"


def to_csv(register: dict[str, Any], what: str = "activities") -> str:
    header, body = rows(register, what)
    out = io.StringIO()
    writer = csv_writer(out)
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
