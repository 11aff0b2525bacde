"""The policy as the visitor reads it: the manifest resolved into one language.

Templates receive plain values from here, so the wording of a period, a legal
basis or a recipient is decided once, in the manifest and the retention grammar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gardien.manifest import Manifest
from gardien.manifest import retention as grammar
from gardien.manifest.schema import EEA_CODES, LEGAL_BASES, Activity, Processor

CONSENT_MECHANISMS = {
    "banner": (
        "le bandeau de gestion des cookies, qui garde la preuve de chaque choix",
        "the cookie banner, which keeps a proof of each choice",
    ),
    "double_opt_in": (
        "une double confirmation : votre inscription n'est active qu'après un clic "
        "sur le lien reçu par courriel, et la preuve en est conservée",
        "a double opt-in: your sign-up only takes effect after you click the link "
        "sent by email, and the proof is kept",
    ),
    "form_checkbox": (
        "une case à cocher du formulaire, jamais pré-cochée, dont la preuve est conservée",
        "a checkbox on the form, never pre-ticked, whose proof is kept",
    ),
}


def location_names(codes: list[str], lang: str) -> str:
    names = {
        "EU": ("Union européenne", "European Union"),
        "EEA": ("Espace économique européen", "European Economic Area"),
        "FR": ("France", "France"),
        "NL": ("Pays-Bas", "Netherlands"),
        "IE": ("Irlande", "Ireland"),
        "DE": ("Allemagne", "Germany"),
        "BE": ("Belgique", "Belgium"),
        "US": ("États-Unis", "United States"),
    }
    index = 0 if lang == "fr" else 1
    return ", ".join(names[c][index] if c in names else c for c in codes)


@dataclass
class FieldView:
    name: str
    label: str
    required: bool
    if_missing: str
    description: str
    categories: list[str]
    choices: list[str]


@dataclass
class RecordView:
    what: str
    retention: str
    why: str
    rule: str


@dataclass
class RecipientView:
    id: str
    name: str
    entity: str
    service: str
    location: str
    outside_eea: bool
    safeguards: str
    dpa: str
    dpa_date: str
    subprocessors_url: str
    privacy_url: str
    receives: list[str]
    activities: list[str]


@dataclass
class TransferView:
    recipient: str
    country: str
    safeguard: str


@dataclass
class ActivityView:
    id: str
    name: str
    purpose: str
    basis: str
    basis_article: str
    basis_key: str
    basis_detail: str
    interest: str
    consent_mechanism: str
    subjects: list[str]
    source: str
    fields: list[FieldView]
    recipients: list[RecipientView]
    internal_recipients: str
    retention: str
    retention_rule: str
    retention_why: str
    records: list[RecordView]
    transfers: list[TransferView]
    categories: list[str]
    note: str


@dataclass
class CookieView:
    name: str
    storage: str
    lifetime: str
    description: str


@dataclass
class ServiceView:
    name: str
    party: str
    provider: str
    description: str
    privacy_url: str
    cookies: list[CookieView]


@dataclass
class PurposeView:
    id: str
    name: str
    description: str
    consent: str
    services: list[ServiceView] = field(default_factory=list)


@dataclass
class PolicyDocument:
    lang: str
    manifest: Manifest
    activities: list[ActivityView]
    processors: list[RecipientView]
    purposes: list[PurposeView]
    choice_lifetime: str
    response_time: str
    extension: str
    what_to_include: str
    identity_proof: str
    has_transfers: bool
    has_consent: bool
    introduction: str
    minimisation: str
    security: str
    amendments: str
    no_sale: str
    authority_name: str


def _text(value: object, lang: str) -> str:
    return value.get(lang) if value is not None and hasattr(value, "get") else ""  # type: ignore[union-attr]


def _lifetime(text: str, lang: str) -> str:
    if text == "session":
        return "le temps de la session" if lang == "fr" else "for the session"
    return grammar.parse_duration(text).phrase(lang)


def _processor(manifest: Manifest, processor: Processor, lang: str) -> RecipientView:
    return RecipientView(
        id=processor.id,
        name=processor.name,
        entity=processor.entity,
        service=processor.service.get(lang),
        location=location_names(processor.data_location, lang),
        outside_eea=bool(processor.outside_eea),
        safeguards=_text(processor.safeguards, lang),
        dpa=processor.dpa.reference,
        dpa_date=processor.dpa.date.isoformat(),
        subprocessors_url=processor.subprocessors_url or "",
        privacy_url=processor.privacy_url or "",
        receives=[manifest.category_name(key, lang) for key in processor.receives],
        activities=[a.name.get(lang) for a in manifest.activities_of(processor.id)],
    )


def _activity(
    manifest: Manifest, activity: Activity, lang: str, processors: dict[str, RecipientView]
) -> ActivityView:
    article, basis_fr, basis_en = LEGAL_BASES[activity.legal_basis]
    rule = grammar.parse_rule(activity.retention)
    mechanism = CONSENT_MECHANISMS.get(activity.consent_recorded_by or "")
    return ActivityView(
        id=activity.id,
        name=activity.name.get(lang),
        purpose=activity.purpose.get(lang),
        basis=basis_fr if lang == "fr" else basis_en,
        basis_article=article,
        basis_key=activity.legal_basis,
        basis_detail=_text(activity.legal_basis_detail, lang),
        interest=_text(activity.legitimate_interest, lang),
        consent_mechanism=(mechanism[0] if lang == "fr" else mechanism[1]) if mechanism else "",
        subjects=[s.get(lang) for s in activity.data_subjects],
        source=_text(activity.source, lang),
        fields=[
            FieldView(
                name=f.name,
                label=f.label.get(lang),
                required=f.required,
                if_missing=_text(f.if_missing, lang),
                description=_text(f.description, lang),
                categories=[manifest.category_name(k, lang) for k in f.categories],
                choices=[c.label.get(lang) for c in f.choices or []],
            )
            for f in activity.fields
        ],
        recipients=[processors[r] for r in activity.recipients],
        internal_recipients=_text(activity.internal_recipients, lang),
        retention=rule.phrase(lang),
        retention_rule=activity.retention,
        retention_why=_text(activity.retention_why, lang),
        records=[
            RecordView(
                what=r.what.get(lang),
                retention=grammar.parse_rule(r.retention).phrase(lang),
                why=_text(r.why, lang),
                rule=r.retention,
            )
            for r in activity.records
        ],
        transfers=[
            TransferView(
                recipient=processors[t.recipient].name,
                country=location_names([t.country], lang),
                safeguard=t.safeguard.get(lang),
            )
            for t in activity.transfers
        ],
        categories=[manifest.category_name(k, lang) for k in activity.categories],
        note=_text(activity.note, lang),
    )


def build(manifest: Manifest, lang: str) -> PolicyDocument:
    processors = {p.id: _processor(manifest, p, lang) for p in manifest.processors}
    purposes = []
    for purpose in manifest.cookies.purposes:
        view = PurposeView(
            id=purpose.id,
            name=purpose.name.get(lang),
            description=purpose.description.get(lang),
            consent=purpose.consent,
        )
        for service in manifest.cookies.services:
            if service.purpose != purpose.id:
                continue
            provider = processors[service.provider].name if service.provider else ""
            view.services.append(
                ServiceView(
                    name=service.name,
                    party=service.party,
                    provider=provider,
                    description=service.description.get(lang),
                    privacy_url=service.privacy_url or "",
                    cookies=[
                        CookieView(
                            c.name, c.storage, _lifetime(c.lifetime, lang), c.description.get(lang)
                        )
                        for c in service.cookies
                    ],
                )
            )
        purposes.append(view)
    activities = [_activity(manifest, a, lang, processors) for a in manifest.activities]
    return PolicyDocument(
        lang=lang,
        manifest=manifest,
        activities=activities,
        processors=list(processors.values()),
        purposes=purposes,
        choice_lifetime=grammar.parse_duration(manifest.cookies.choice_lifetime).phrase(lang),
        response_time=grammar.parse_duration(manifest.rights.response_time).phrase(lang),
        extension=grammar.parse_duration(manifest.rights.extension).phrase(lang),
        what_to_include=manifest.rights.what_to_include.get(lang),
        identity_proof=manifest.rights.identity_proof.get(lang),
        has_transfers=any(a.transfers for a in activities),
        has_consent=any(a.basis_key == "consent" for a in activities),
        introduction=manifest.policy.introduction.get(lang),
        minimisation=manifest.policy.minimisation.get(lang),
        security=manifest.policy.security.get(lang),
        amendments=manifest.policy.amendments.get(lang),
        no_sale=_text(manifest.policy.no_sale, lang),
        authority_name=manifest.authority.full_name.get(lang),
    )


def outside_eea(codes: list[str]) -> list[str]:
    return [c for c in codes if c not in EEA_CODES]


class _TextExtractor:
    """Turn the rendered policy into lines of text, one per paragraph, item or table row."""

    BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "tr", "dt", "dd", "caption", "address"})

    def __init__(self) -> None:
        from html.parser import HTMLParser

        self.lines: list[str] = []
        self._parts: list[str] = []
        extractor = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                if tag in extractor.BLOCKS:
                    extractor.flush()
                elif tag in ("td", "th") and extractor._parts:
                    extractor._parts.append(" — ")

            def handle_endtag(self, tag: str) -> None:
                if tag in extractor.BLOCKS:
                    extractor.flush()

            def handle_data(self, data: str) -> None:
                extractor._parts.append(data)

        self.parser = Parser(convert_charrefs=True)

    def flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        text = text.strip(" —")
        if text:
            self.lines.append(text)
        self._parts = []

    def feed(self, html: str) -> list[str]:
        self.parser.feed(html)
        self.parser.close()
        self.flush()
        return self.lines


def text_lines(doc: PolicyDocument, request: object = None) -> list[str]:
    from django.template.loader import render_to_string

    html = render_to_string("policy/document.html", {"doc": doc}, request=request)  # type: ignore[arg-type]
    return _TextExtractor().feed(html)
