"""The one view model of the manifest in one language.

The policy page, the record of processing (HTML, CSV, JSON) and the back office all read
these views: an activity is turned into page data here and nowhere else. Each view carries
the manifest's keys (for exports) beside their wording (from :mod:`gardien.manifest.wording`
and the manifest's own texts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from gardien.audience.describe import AudienceDescription, describe
from gardien.manifest import Manifest
from gardien.manifest import wording as say
from gardien.manifest.schema import (
    CONSENT_MAX_LIFETIME,
    Activity,
    DeclaredField,
    Processor,
    Text,
)


@dataclass
class CategoryView:
    key: str
    name: str


@dataclass
class FieldView:
    name: str
    label: str
    required: bool
    if_missing: str
    description: str
    categories: list[str]
    category_keys: list[str]
    choices: list[str]
    # Collected without the person giving it (an address, an identifier, pages viewed):
    # they cannot leave it out, so the policy says how to object or what limits it instead.
    automatic: bool = False
    how_to_object: str = ""


@dataclass
class RecordView:
    id: str
    what: str
    retention: str
    why: str
    rule: str


@dataclass
class RecipientView:
    id: str
    name: str
    entity: str
    role: str  # processor, sub_processor, joint_controller, independent_controller
    role_label: str
    role_article: str
    engaged_by: str  # the engaging processor's name, for a sub-processor
    engaged_by_id: str
    service: str
    country: str  # ISO code of establishment
    data_location: list[str]  # ISO codes
    location: str  # data_location in words
    outside_eea: bool
    safeguards: str
    dpa: str
    dpa_date: str
    dpa_url: str
    subprocessors_url: str
    privacy_url: str
    receives: list[str]
    receives_keys: list[str]
    activities: list[str]
    activity_ids: list[str]


@dataclass
class TransferView:
    recipient_id: str
    recipient: str
    country_code: str
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
    consent_recorded_by: str
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
    category_views: list[CategoryView]
    note: str

    @property
    def retention_schedule(self) -> list[RecordView]:
        """The activity's own rule first, then each record's: Art. 30(1)(f)."""
        own = RecordView(
            self.id, self.name, self.retention, self.retention_why, self.retention_rule
        )
        return [own, *self.records]


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
    consent_max_lifetime: str
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
    # Gardien's own audience measurement, described from ``[audience]``; None without it.
    audience: AudienceDescription | None = None

    @property
    def only_processors(self) -> bool:
        """Every recipient acts on the organisation's instructions (no controller of its own)."""
        return all(p.role in ("processor", "sub_processor") for p in self.processors)


def _text(value: Text | None, lang: str) -> str:
    return value.get(lang) if value is not None else ""


def _processor(manifest: Manifest, processor: Processor, lang: str) -> RecipientView:
    served = manifest.activities_of(processor.id)
    engaging = next((p for p in manifest.processors if p.id == processor.engaged_by), None)
    return RecipientView(
        id=processor.id,
        name=processor.name,
        entity=processor.entity,
        role=processor.role,
        role_label=say.processor_role(processor.role, lang),
        role_article=say.processor_role_article(processor.role),
        engaged_by=engaging.name if engaging is not None else "",
        engaged_by_id=processor.engaged_by or "",
        service=processor.service.get(lang),
        country=processor.country,
        data_location=list(processor.data_location),
        location=say.countries(processor.data_location, lang),
        outside_eea=bool(processor.outside_eea),
        safeguards=_text(processor.safeguards, lang),
        dpa=processor.dpa.reference,
        dpa_date=processor.dpa.date.isoformat(),
        dpa_url=processor.dpa.url or "",
        subprocessors_url=processor.subprocessors_url or "",
        privacy_url=processor.privacy_url or "",
        receives=[manifest.category_name(key, lang) for key in processor.receives],
        receives_keys=list(processor.receives),
        activities=[a.name.get(lang) for a in served],
        activity_ids=[a.id for a in served],
    )


def _how_to_object(manifest: Manifest, activity: Activity, f: DeclaredField, lang: str) -> str:
    """For data collected automatically: how the person can stop it, what limits it and how
    long it is kept, from the activity's legal basis, its cookie purpose and the manifest's
    ``limits``. A person cannot "not provide" such data, so "optional" would mislead."""
    purpose = next((p for p in manifest.cookies.purposes if p.activity == activity.id), None)
    with translation.override(lang):
        if purpose is not None and purpose.consent == "required":
            how = _(
                "Collected only if you accept it in the cookie settings, where you can "
                "withdraw your agreement at any time."
            )
        elif purpose is not None and purpose.consent == "exempt_with_opt_out":
            how = _("You can object to it at any time in the cookie settings.")
        elif activity.legal_basis == "consent":
            how = _("Collected only with your consent, which you can withdraw at any time.")
        elif activity.legal_basis == "legitimate_interest":
            how = _(
                "You can object to it, for reasons relating to your situation, by writing "
                "to us (GDPR Art. 21)."
            )
        else:
            how = _("You cannot decline it (legal basis: %(basis)s).") % {
                "basis": say.legal_basis(activity.legal_basis, lang).lower()
            }
        kept = _("Kept: %(retention)s.") % {"retention": say.rule(activity.retention, lang)}
    return " ".join(part for part in (how, _text(f.limits, lang), kept) if part)


def _activity(
    manifest: Manifest, activity: Activity, lang: str, processors: dict[str, RecipientView]
) -> ActivityView:
    categories = [CategoryView(k, manifest.category_name(k, lang)) for k in activity.categories]
    return ActivityView(
        id=activity.id,
        name=activity.name.get(lang),
        purpose=activity.purpose.get(lang),
        basis=say.legal_basis(activity.legal_basis, lang),
        basis_article=say.legal_basis_article(activity.legal_basis),
        basis_key=activity.legal_basis,
        basis_detail=_text(activity.legal_basis_detail, lang),
        interest=_text(activity.legitimate_interest, lang),
        consent_recorded_by=activity.consent_recorded_by or "",
        consent_mechanism=say.consent_mechanism(activity.consent_recorded_by, lang),
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
                category_keys=list(f.categories),
                choices=[c.label.get(lang) for c in f.choices or []],
                automatic=f.automatic,
                how_to_object=_how_to_object(manifest, activity, f, lang) if f.automatic else "",
            )
            for f in activity.fields
        ],
        recipients=[processors[r] for r in activity.recipients],
        internal_recipients=_text(activity.internal_recipients, lang),
        retention=say.rule(activity.retention, lang),
        retention_rule=str(activity.retention),
        retention_why=_text(activity.retention_why, lang),
        records=[
            RecordView(
                id=r.id,
                what=r.what.get(lang),
                retention=say.rule(r.retention, lang),
                why=_text(r.why, lang),
                rule=str(r.retention),
            )
            for r in activity.records
        ],
        transfers=[
            TransferView(
                recipient_id=t.recipient,
                recipient=processors[t.recipient].name,
                country_code=t.country,
                country=say.country(t.country, lang),
                safeguard=t.safeguard.get(lang),
            )
            for t in activity.transfers
        ],
        categories=[c.name for c in categories],
        category_views=categories,
        note=_text(activity.note, lang),
    )


def processors(manifest: Manifest, lang: str) -> dict[str, RecipientView]:
    return {p.id: _processor(manifest, p, lang) for p in manifest.processors}


def activities(manifest: Manifest, lang: str) -> list[ActivityView]:
    by_id = processors(manifest, lang)
    return [_activity(manifest, a, lang, by_id) for a in manifest.activities]


def build(manifest: Manifest, lang: str) -> PolicyDocument:
    by_id = processors(manifest, lang)
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
            view.services.append(
                ServiceView(
                    name=service.name,
                    party=service.party,
                    provider=by_id[service.provider].name if service.provider else "",
                    description=service.description.get(lang),
                    privacy_url=service.privacy_url or "",
                    cookies=[
                        CookieView(
                            c.name,
                            c.storage,
                            say.lifetime(c.lifetime, lang),
                            c.description.get(lang),
                        )
                        for c in service.cookies
                    ],
                )
            )
        purposes.append(view)
    views = [_activity(manifest, a, lang, by_id) for a in manifest.activities]
    return PolicyDocument(
        lang=lang,
        manifest=manifest,
        activities=views,
        processors=list(by_id.values()),
        purposes=purposes,
        choice_lifetime=say.duration(manifest.cookies.choice_lifetime, lang),
        consent_max_lifetime=say.duration(CONSENT_MAX_LIFETIME, lang),
        response_time=say.duration(manifest.rights.response_time, lang),
        extension=say.duration(manifest.rights.extension, lang),
        what_to_include=manifest.rights.what_to_include.get(lang),
        identity_proof=manifest.rights.identity_proof.get(lang),
        has_transfers=any(a.transfers for a in views),
        has_consent=any(a.basis_key == "consent" for a in views),
        introduction=manifest.policy.introduction.get(lang),
        minimisation=manifest.policy.minimisation.get(lang),
        security=manifest.policy.security.get(lang),
        amendments=manifest.policy.amendments.get(lang),
        no_sale=_text(manifest.policy.no_sale, lang),
        authority_name=manifest.authority.full_name.get(lang),
        audience=describe(manifest, lang),
    )


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
