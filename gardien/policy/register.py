"""The record of processing activities (GDPR Art. 30(1) a–g) and the processor registry.

    from gardien.policy import register

    data = register.build(manifest, "fr", version=published)     # plain data, one language
    exported = register.export(data, "pdf")                      # .content, .filename, .media_type

The back office's download buttons and ``gardien register export`` both call :func:`export`,
so a file is the same whichever way it was made. Every export is dated (when it was made, in
the organisation's zone) and versioned (the published policy version it describes); the
callers audit it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from gardien.audience.describe import describe
from gardien.lib import clock, pdf, when
from gardien.lib.spreadsheet import SEPARATORS, csv_bytes
from gardien.manifest import Manifest, content_hash
from gardien.manifest import wording as say
from gardien.policy import document

#: What ``export`` writes; CSV is one table (``what``), the others the whole register.
FORMATS = ("pdf", "csv", "json", "html")
TABLES = ("activities", "processors")


class Version(Protocol):
    """A published policy version, as :func:`gardien.policy.services.published` gives it."""

    @property
    def number(self) -> int: ...

    @property
    def published_at(self) -> dt.datetime: ...


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
    ("id", {"fr": "Identifiant", "en": "Recipient id"}),
    ("name", {"fr": "Destinataire", "en": "Recipient"}),
    ("role", {"fr": "Rôle (art. 28, 26)", "en": "Role (Art. 28, 26)"}),
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
        # Art. 30(1)(a): the recipients the manifest declares as joint controllers.
        "joint_controllers": [
            {"id": p.id, "name": p.name, "entity": p.entity}
            for p in manifest.processors
            if p.role == "joint_controller"
        ],
        "representative": None,
    }


def build(
    manifest: Manifest,
    lang: str = "fr",
    *,
    version: Version | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The whole register as plain data, in one language, from the policy's view model.

    ``version`` is the published version the manifest is (None for a draft not yet
    published); ``now`` the moment of the export (the clock's by default).
    """
    with translation.override(lang):
        data = _build(manifest, lang)
    data["policy_version"] = (
        {"number": version.number, "published_at": when.iso(version.published_at)}
        if version is not None
        else None
    )
    data["generated_at"] = when.iso(now or clock.now())
    data["time_zone"] = when.zone()
    return data


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
                "collected_automatically": f.automatic,
                "categories": [
                    {"key": key, "name": name}
                    for key, name in zip(f.category_keys, f.categories, strict=True)
                ],
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
                    "role": p.role,
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
        "role": {
            "key": p.role,
            "label": p.role_label,
            "article": _("GDPR Art. %(article)s") % {"article": p.role_article},
            "engaged_by": (
                {"id": p.engaged_by_id, "name": p.engaged_by} if p.engaged_by_id else None
            ),
        },
        "entity": p.entity,
        "service": p.service,
        "country": p.country,
        "data_location": p.data_location,
        "location": p.location,
        "safeguards": p.safeguards or None,
        "receives": [
            {"key": key, "name": name}
            for key, name in zip(p.receives_keys, p.receives, strict=True)
        ],
        "activities": [
            {"id": key, "name": name}
            for key, name in zip(p.activity_ids, p.activities, strict=True)
        ],
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
    if key in ("data_categories", "receives", "activities"):
        return "; ".join(c["name"] for c in value)
    if key == "role":
        role = capfirst(value["label"])
        if value["engaged_by"]:
            return _("%(role)s (%(article)s), engaged by %(name)s") % {
                "role": role,
                "article": value["article"],
                "name": value["engaged_by"]["name"],
            }
        return f"{role} ({value['article']})"
    if key == "recipients":
        names = [f"{p['name']} ({p['location']})" for p in value["processors"]]
        # The manifest's sentence ends with a full stop; in a list it would read ".;".
        internal = [value["internal"].rstrip(".")] if value["internal"] else []
        return "; ".join(internal + names)
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


def to_csv(
    register: dict[str, Any], what: str = "activities", separator: str = "semicolon"
) -> bytes:
    """One table of the register as a spreadsheet file (see :func:`csv_bytes`)."""
    header, body = rows(register, what)
    return csv_bytes([header, *body], separator=separator)


def to_html(register: dict[str, Any]) -> str:
    from django.template.loader import render_to_string

    with translation.override(register["language"]):
        return render_to_string("policy/register.html", context(register))


def to_pdf(register: dict[str, Any]) -> bytes:
    """The printable document as PDF; :class:`gardien.lib.pdf.Unavailable` without Pango."""
    return pdf.from_html(to_html(register))


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    media_type: str


_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}
_FILE_NAMES = {
    "activities": {"fr": "registre-des-traitements", "en": "record-of-processing"},
    "processors": {"fr": "registre-des-sous-traitants", "en": "processor-registry"},
}


def export(
    register: dict[str, Any], fmt: str, *, what: str = "activities", separator: str = "semicolon"
) -> Export:
    """The register as a file: ``fmt`` one of :data:`FORMATS`; for CSV, ``what`` (one of
    :data:`TABLES`) and ``separator`` (a key of ``SEPARATORS``)."""
    if fmt not in FORMATS or what not in TABLES or separator not in SEPARATORS:
        raise ValueError(f"no export {fmt!r} of {what!r} separated by {separator!r}")
    if fmt == "pdf":
        content = to_pdf(register)
    elif fmt == "csv":
        content = to_csv(register, what, separator)
    elif fmt == "json":
        content = to_json(register).encode("utf-8")
    else:
        content = to_html(register).encode("utf-8")
    return Export(content, filename(register, fmt, what), _MEDIA_TYPES[fmt])


def filename(register: dict[str, Any], fmt: str, what: str = "activities") -> str:
    """A name that dates and versions the file, for the auditor's folder:
    ``registre-des-traitements-v3-2026-11-30.pdf`` (``brouillon``/``draft`` for a draft)."""
    lang = register["language"]
    stem = say.pick(_FILE_NAMES[what if fmt == "csv" else "activities"], lang)
    version = register.get("policy_version")
    draft = say.pick({"fr": "brouillon", "en": "draft"}, lang)
    label = f"v{version['number']}" if version else draft
    day = register["generated_at"][:10]  # the local calendar day: the offset is the zone's
    return f"{stem}-{label}-{day}.{fmt}"


def context(register: dict[str, Any]) -> dict[str, Any]:
    activity_header, activity_rows = rows(register, "activities")
    processor_header, processor_rows = rows(register, "processors")
    version = register.get("policy_version")
    return {
        "register": register,
        "activity_header": activity_header,
        "activity_rows": activity_rows,
        "processor_header": processor_header,
        "processor_rows": processor_rows,
        "policy_version": version["number"] if version else None,
        "published_at": when.text(_instant(version["published_at"])) if version else "",
        "generated_at": when.text(_instant(register["generated_at"])),
    }


def _instant(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)
