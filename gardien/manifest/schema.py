"""The shape of a Gardien manifest (``gardien.toml``).

Pydantic checks types, unknown keys and each value's own grammar (retention
rules, durations, data-category keys). Relations between parts of the manifest
(recipients, purposes, transfers) are checked by :mod:`gardien.manifest.rules`.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from typing import Annotated, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
)

from gardien.lib import contrast
from gardien.manifest import retention
from gardien.manifest.taxonomy import (
    category_label,
    fideslang_categories,
    unknown_category_message,
)
from gardien.manifest.wording import DEFAULT_LANGUAGE, LANGUAGES

LegalBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interest",
]

ConsentMechanism = Literal["banner", "double_opt_in", "form_checkbox"]
#: How a cookie purpose relates to consent: "required" is off until granted,
#: "exempt_with_opt_out" (audience measurement within the CNIL exemption) is on unless the
#: visitor objects, "not_needed" is strictly necessary.
ConsentKind = Literal["required", "exempt_with_opt_out", "not_needed"]
Party = Literal["first", "third"]
#: What a recipient is to the organisation (GDPR Art. 28 and 26, Art. 30(1)(d)): a processor
#: acting on its instructions, a sub-processor engaged by one of them, a joint controller
#: deciding purposes and means with it, or an independent controller with purposes of its own.
ProcessorRole = Literal["processor", "sub_processor", "joint_controller", "independent_controller"]
Storage = Literal["cookie", "local_storage", "session_storage"]

# EU member states, the other EEA states, and "EU"/"EEA" for a region-wide location.
EEA_CODES = frozenset(
    [
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO", "EU", "EEA"),
    ]
)

#: The longest a consent choice, or a cookie placed under consent or the audience-measurement
#: exemption, may last (CNIL guidelines on cookies, 2020).
CONSENT_MAX_LIFETIME = retention.Duration(13, "months")

#: The longest raw audience-measurement data may be kept under the CNIL's exemption.
AUDIENCE_MAX_RETENTION = retention.Duration(25, "months")

COUNTRY_CODE = re.compile(r"^([A-Z]{2}|EU|EEA)$")


class WholeSentence(ValueError):
    """A value's problem that names its key itself ('retention "…" is not a rule'): the loader
    shows it as it is, without putting the key in front."""


def _matching(pattern: str | re.Pattern[str], problem: Promise) -> AfterValidator:
    """A text that must match ``pattern``; ``problem`` says what is wrong and how to write it,
    with the value as ``%(value)s`` (translated when a manifest is checked, not at import)."""
    compiled = re.compile(pattern)

    def validate(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(str(problem) % {"value": value})
        return value

    return AfterValidator(validate)


def _parsed[T](parse: typing.Callable[[str], T]) -> typing.Callable[[object], T]:
    """A validator that turns the manifest's text into a parsed value once, at load."""

    def validate(value: object) -> T:
        if not isinstance(value, str):
            if isinstance(value, (retention.Duration, retention.RetentionRule, retention.Session)):
                return value  # type: ignore[return-value]
            raise ValueError(_('should be text in quotes, e.g. "3 years after last_contact"'))
        try:
            return parse(value)
        except retention.RetentionSyntaxError as exc:
            # A rule's problem says "retention …" itself; a period's starts with its value.
            whole = parse is retention.parse_rule
            raise (WholeSentence if whole else ValueError)(str(exc)) from None

    return validate


def _parsed_type(parse: typing.Callable[[str], typing.Any]) -> tuple[typing.Any, ...]:
    # Stored and hashed as the text it was parsed from (normalised), so a published
    # version keeps the manifest's own words.
    return (
        PlainValidator(_parsed(parse)),
        PlainSerializer(str, return_type=str),
        WithJsonSchema({"type": "string"}),
    )


Identifier = Annotated[
    str,
    _matching(
        r"^[a-z][a-z0-9_-]{0,62}$",
        gettext_lazy(
            '"%(value)s" is not an identifier; use lower-case letters, digits, "_" or "-" '
            '(e.g. "contact_form")'
        ),
    ),
]
Email = Annotated[
    str,
    _matching(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        gettext_lazy('"%(value)s" is not an email address; write e.g. "dpo@example.org"'),
    ),
]
Url = Annotated[
    str,
    _matching(
        r"^https?://[^\s/]+",
        gettext_lazy('"%(value)s" is not a web address; write e.g. "https://example.org/page"'),
    ),
]
Origin = Annotated[
    str,
    _matching(
        r"^https?://[a-z0-9.-]+(:\d+)?$",
        gettext_lazy(
            '"%(value)s" is not a site origin; write the scheme and host only, '
            'e.g. "https://www.example.org"'
        ),
    ),
]
Country = Annotated[
    str,
    _matching(
        COUNTRY_CODE,
        gettext_lazy(
            '"%(value)s" is not a country code; use the two capital letters of ISO 3166 '
            '(e.g. "FR", "IE", "US") or "EU"'
        ),
    ),
]
Rule = Annotated[retention.RetentionRule, *_parsed_type(retention.parse_rule)]
Period = Annotated[retention.Duration, *_parsed_type(retention.parse_duration)]
Lifetime = Annotated[retention.Lifetime, *_parsed_type(retention.parse_lifetime)]
NonEmpty = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _omit_unset_additions(*names: str) -> typing.Any:
    """A serializer leaving out keys added to the schema after manifests were published,
    while they hold their default: a manifest that does not use them hashes (and is stored)
    as before, so upgrading Gardien shows no difference to publish."""

    @model_serializer(mode="wrap")
    def serialize(self: BaseModel, handler: SerializerFunctionWrapHandler) -> dict[str, typing.Any]:
        data: dict[str, typing.Any] = handler(self)
        for name in names:
            if name in data and getattr(self, name) == type(self).model_fields[name].default:
                del data[name]
        return data

    return serialize


class Text(Strict):
    """A sentence in every language Gardien serves."""

    fr: NonEmpty
    en: NonEmpty

    def get(self, lang: str) -> str:
        """The text in ``lang``; in the default language for one Gardien does not speak."""
        return str(getattr(self, lang if lang in LANGUAGES else DEFAULT_LANGUAGE))


def _check_categories(values: list[str], info: ValidationInfo) -> list[str]:
    if (info.context or {}).get("stored"):
        return values  # a published version is read as it was published
    extensions: set[str] = set((info.context or {}).get("extensions", ()))
    known = fideslang_categories()
    for key in values:
        if key not in known and key not in extensions:
            raise WholeSentence(unknown_category_message(key, extensions))
    return values


class Controller(Strict):
    name: NonEmpty
    legal_form: str | None = None
    registration: str | None = None
    address: NonEmpty
    email: Email
    website: Url
    phone: str | None = None


class DPO(Strict):
    name: str | None = None
    email: Email
    postal_address: NonEmpty


class Authority(Strict):
    name: NonEmpty
    full_name: Text
    website: Url
    complaint_url: Url
    postal_address: NonEmpty


class Site(Strict):
    name: NonEmpty
    url: Url
    # The origins allowed to load the banner and call Gardien are technical settings, kept
    # apart from the public policy (`gardien site add-origin`, gardien/site). Origins still
    # listed here are added to them when the manifest is published; they say nothing a visitor
    # reads, so they are left out of the published version and of its hash (exclude=True): a
    # change to them alone publishes nothing.
    origins: list[Origin] = Field(default_factory=list, exclude=True)


class Policy(Strict):
    """The document's own prose: what the manifest alone cannot say."""

    introduction: Text
    minimisation: Text
    security: Text
    amendments: Text
    no_sale: Text | None = None


class Rights(Strict):
    response_time: Period = retention.Duration(1, "months")
    extension: Period = retention.Duration(2, "months")
    what_to_include: Text
    identity_proof: Text


class Choice(Strict):
    value: Identifier
    label: Text


class DeclaredField(Strict):
    name: Identifier
    label: Text
    categories: list[str] = Field(min_length=1)
    required: bool
    if_missing: Text | None = None
    input: Literal["text", "email", "textarea", "choice", "file", "generated"] = "text"
    max_length: int | None = Field(default=None, gt=0, le=100_000)
    choices: list[Choice] | None = None
    description: Text | None = None
    #: For data collected automatically (``input = "generated"``): what limits it, in the
    #: policy's field table beside how to object (e.g. "the last part of the address is
    #: removed").
    limits: Text | None = None

    _categories = field_validator("categories")(_check_categories)
    _serialize = _omit_unset_additions("limits")

    @property
    def automatic(self) -> bool:
        """Collected without the person typing or choosing it: they cannot leave it out."""
        return self.input == "generated"


class Record(Strict):
    """A kind of record kept for an activity with a retention of its own."""

    id: Identifier
    what: Text
    retention: Rule
    why: Text | None = None


class Transfer(Strict):
    recipient: Identifier
    country: Country
    safeguard: Text


class Activity(Strict):
    id: Identifier
    name: Text
    purpose: Text
    legal_basis: LegalBasis
    legal_basis_detail: Text | None = None
    legitimate_interest: Text | None = None
    consent_recorded_by: ConsentMechanism | None = None
    data_subjects: list[Text] = Field(min_length=1)
    source: Text | None = None
    fields: list[DeclaredField] = Field(min_length=1)
    recipients: list[Identifier] = Field(default_factory=list)
    internal_recipients: Text | None = None
    retention: Rule
    retention_why: Text | None = None
    records: list[Record] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    note: Text | None = None

    @property
    def categories(self) -> list[str]:
        seen: dict[str, None] = {}
        for declared in self.fields:
            for key in declared.categories:
                seen.setdefault(key, None)
        return list(seen)

    def field(self, name: str) -> DeclaredField:
        return next(f for f in self.fields if f.name == name)


class DPA(Strict):
    reference: NonEmpty
    date: dt.date
    url: Url | None = None


class Processor(Strict):
    """A recipient outside the organisation. Most act on its behalf (``role = "processor"``,
    the default); the register and the policy name any other role."""

    id: Identifier
    name: NonEmpty
    entity: NonEmpty
    role: ProcessorRole = "processor"
    #: For a sub-processor: the id of the processor that engaged it.
    engaged_by: Identifier | None = None
    service: Text
    country: Country
    data_location: list[Country] = Field(min_length=1)
    safeguards: Text | None = None
    receives: list[str] = Field(min_length=1)
    dpa: DPA
    subprocessors_url: Url | None = None
    privacy_url: Url | None = None

    _categories = field_validator("receives")(_check_categories)
    _serialize = _omit_unset_additions("role", "engaged_by")

    @property
    def outside_eea(self) -> list[str]:
        return [code for code in self.data_location if code not in EEA_CODES]


class StoredItem(Strict):
    name: NonEmpty
    storage: Storage = "cookie"
    lifetime: Lifetime
    description: Text


class CookiePurpose(Strict):
    id: Identifier
    name: Text
    description: Text
    consent: ConsentKind
    activity: Identifier | None = None
    # Google Consent Mode v2: which signals this purpose grants when a Google tag is declared.
    consent_mode: Literal["analytics", "advertising"] | None = None


class CookieService(Strict):
    id: Identifier
    name: NonEmpty
    purpose: Identifier
    party: Party
    provider: Identifier | None = None
    description: Text
    privacy_url: Url | None = None
    cookies: list[StoredItem] = Field(default_factory=list)
    google_tag: bool = False


# The banner's texts a manifest may override under [cookies.wording]; Gardien's consent
# app holds the French and English defaults.
BANNER_STRINGS = (
    "title",
    "intro",
    "accept_all",
    "refuse_all",
    "customise",
    "save",
    "close",
    "continue_without",
    "settings",
    "consent_id",
    "gpc",
    "exempt",
    "always_on",
    "what_changed",
    "vendors",
    "inventory",
    "policy",
    "blocked",
    "allow",
)


def _check_wording(value: dict[str, Text], info: ValidationInfo) -> dict[str, Text]:
    unknown = sorted(set(value) - set(BANNER_STRINGS))
    if unknown and not (info.context or {}).get("stored"):
        raise ValueError(
            _('unknown banner text "%(name)s"; the texts are: %(names)s')
            % {"name": unknown[0], "names": ", ".join(BANNER_STRINGS)}
        )
    return value


def _colour(value: str) -> str:
    found = contrast.normalised(value)
    if found is None:
        raise ValueError(
            _(
                '"%(value)s" is not a colour; write "#" and six hexadecimal digits, '
                'e.g. "#1d3d6b" (or three, e.g. "#fff")'
            )
            % {"value": value}
        )
    return found


#: A colour as ``#rgb`` or ``#rrggbb``, kept as lower-case ``#rrggbb``.
Colour = Annotated[str, AfterValidator(_colour)]


class Theme(Strict):
    """The banner's colours. Their contrast is checked by :mod:`gardien.manifest.rules`
    (WCAG 2.2 AA), so a manifest cannot publish a banner some visitors cannot read."""

    brand: Colour  # the buttons' background, borders, a switch when on
    on_brand: Colour = contrast.WHITE  # the buttons' text


class Cookies(Strict):
    choice_lifetime: Period = retention.Duration(12, "months")
    # Left out of the stored manifest when absent, so that a manifest without one keeps the
    # content hash it was published under.
    theme: Theme | None = Field(default=None, exclude_if=lambda theme: theme is None)
    purposes: list[CookiePurpose] = Field(min_length=1)
    services: list[CookieService] = Field(default_factory=list)
    wording: Annotated[dict[str, Text], AfterValidator(_check_wording)] = Field(
        default_factory=dict
    )


class TaxonomyCategory(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]
    name: Text
    description: Text | None = None


class Taxonomy(Strict):
    data_categories: list[TaxonomyCategory] = Field(default_factory=list)


class Newsletter(Strict):
    """How people subscribe to the newsletter, which the activity ``newsletter`` describes:
    the statement they tick, the other forms that offer it, and the processor that sends it.

    Unconfirmed sign-ups last as long as the activity's ``pending_signup`` record keeps them;
    the proof of consent as long as its ``optin_proof`` record does: after an unsubscription
    it keeps only a keyed hash of the address, which the policy shows through that record.
    """

    consent: Text
    offered_with: list[Identifier] = Field(default_factory=list)
    processor: Identifier | None = None
    at_processor_on_withdrawal: Literal["delete", "blocklist"] = "delete"


class Audience(Strict):
    """Gardien's own audience measurement (``gardien/audience``), built to stay within the
    CNIL's exemption from consent: first party, anonymous statistics, objection honoured at
    once. Checked by :mod:`gardien.manifest.rules`.

    ``purpose`` is the cookie purpose it runs under (``consent = "exempt_with_opt_out"``);
    that purpose's activity says how long page views are kept (25 months at most) and the
    policy describes it. ``query_parameters`` are the only query-string parameters kept in a
    page's address (every other one is dropped before anything is sent). With
    ``unique_visitors``, the beacon keeps one random identifier in the site's local storage
    under ``visitor_key``, which a first-party service of the purpose must declare (its
    lifetime, 13 months at most, counted from its creation and never extended); without it,
    nothing is stored in the visitor's browser and the statistics count visits, not visitors.
    """

    purpose: Identifier
    query_parameters: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,40}$")]] = Field(
        default_factory=list
    )
    unique_visitors: bool = False
    visitor_key: NonEmpty = "gardien_vid"


class Manifest(Strict):
    schema_version: Literal[1] = 1
    controller: Controller
    dpo: DPO
    authority: Authority
    site: Site
    policy: Policy
    rights: Rights
    taxonomy: Taxonomy = Field(default_factory=Taxonomy)
    activities: list[Activity] = Field(min_length=1)
    processors: list[Processor] = Field(default_factory=list)
    cookies: Cookies
    newsletter: Newsletter | None = None
    audience: Audience | None = None

    def activity(self, activity_id: str) -> Activity:
        for activity in self.activities:
            if activity.id == activity_id:
                return activity
        raise KeyError(activity_id)

    def processor(self, processor_id: str) -> Processor:
        for processor in self.processors:
            if processor.id == processor_id:
                return processor
        raise KeyError(processor_id)

    def activities_of(self, processor_id: str) -> list[Activity]:
        return [a for a in self.activities if processor_id in a.recipients]

    def category_name(self, key: str, lang: str) -> str:
        for category in self.taxonomy.data_categories:
            if category.key == key:
                return category.name.get(lang)
        return category_label(key, lang)
