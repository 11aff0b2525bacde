"""What the manifest's values say in French and English: the one place for that wording.

Three sources of visible text, one rule for each:

- the organisation's own words (purposes, labels, the policy's prose) are the manifest's
  texts, ``{ fr = "…", en = "…" }``, read with ``Text.get(lang)``;
- what Gardien derives from the manifest's *values* (a legal basis, a period, a cookie's
  lifetime, a country, a kind of consent) is worded here, from the parsed values;
- Gardien's own interface (buttons, headings, error sentences) goes through gettext.

Every pair is written French first, then English, in the order of :data:`LANGUAGES`.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable

from gardien.manifest import retention

#: The languages Gardien speaks, in the order it writes them.
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]

Phrase = dict[str, str]


def _pair(fr: str, en: str) -> Phrase:
    return {"fr": fr, "en": en}


def pick(phrase: Phrase, lang: str) -> str:
    """``phrase`` in ``lang``; French for a language Gardien does not speak."""
    return phrase.get(lang) or phrase[DEFAULT_LANGUAGE]


# --------------------------------------------------------------------------- legal bases

#: key -> (GDPR article, name)
LEGAL_BASES: dict[str, tuple[str, Phrase]] = {
    "consent": ("6(1)(a)", _pair("Consentement", "Consent")),
    "contract": ("6(1)(b)", _pair("Exécution d'un contrat", "Performance of a contract")),
    "legal_obligation": ("6(1)(c)", _pair("Obligation légale", "Legal obligation")),
    "vital_interests": ("6(1)(d)", _pair("Sauvegarde des intérêts vitaux", "Vital interests")),
    "public_task": ("6(1)(e)", _pair("Mission d'intérêt public", "Public task")),
    "legitimate_interest": ("6(1)(f)", _pair("Intérêt légitime", "Legitimate interest")),
}


def legal_basis(key: str, lang: str) -> str:
    return pick(LEGAL_BASES[key][1], lang)


def legal_basis_article(key: str) -> str:
    return LEGAL_BASES[key][0]


CONSENT_MECHANISMS: dict[str, Phrase] = {
    "banner": _pair(
        "le bandeau de gestion des cookies, qui garde la preuve de chaque choix",
        "the cookie banner, which keeps a proof of each choice",
    ),
    "double_opt_in": _pair(
        "une double confirmation : votre inscription n'est active qu'après un clic "
        "sur le lien reçu par courriel, et la preuve en est conservée",
        "a double opt-in: your sign-up only takes effect after you click the link "
        "sent by email, and the proof is kept",
    ),
    "form_checkbox": _pair(
        "une case à cocher du formulaire, jamais pré-cochée, dont la preuve est conservée",
        "a checkbox on the form, never pre-ticked, whose proof is kept",
    ),
}


def consent_mechanism(key: str | None, lang: str) -> str:
    return pick(CONSENT_MECHANISMS[key], lang) if key else ""


# --------------------------------------------------------------------------- periods

_UNITS: dict[str, tuple[Phrase, Phrase]] = {
    # unit -> (one, many)
    "days": (_pair("jour", "day"), _pair("jours", "days")),
    "weeks": (_pair("semaine", "week"), _pair("semaines", "weeks")),
    "months": (_pair("mois", "month"), _pair("mois", "months")),
    "years": (_pair("an", "year"), _pair("ans", "years")),
}

_SESSION = _pair("le temps de la session", "for the session")

# anchor -> phrase after "après" / "after"
_ANCHORS: dict[str, Phrase] = {
    "last_contact": _pair("le dernier contact", "the last contact"),
    "given": _pair("le recueil du choix", "the choice is made"),
    "collected": _pair("la collecte", "collection"),
    "created": _pair("la création", "creation"),
    "recorded": _pair("l'enregistrement", "it is recorded"),
    "request closed": _pair("la clôture de la demande", "the request is closed"),
    "withdrawn": _pair("le retrait du consentement", "consent is withdrawn"),
    "unsubscribed": _pair("la désinscription", "unsubscription"),
    "account closed": _pair("la fermeture du compte", "the account is closed"),
}

# event -> phrase after "jusqu'à" / "until"
_EVENTS: dict[str, Phrase] = {
    "consent withdrawn": _pair("le retrait du consentement", "consent is withdrawn"),
    "request closed": _pair("la clôture de la demande", "the request is closed"),
    "unsubscribed": _pair("la désinscription", "unsubscription"),
    "account closed": _pair("la fermeture du compte", "the account is closed"),
    "confirmed": _pair("la confirmation", "confirmation"),
}

if set(_ANCHORS) != set(retention.ANCHORS) or set(_EVENTS) != set(retention.EVENTS):
    raise ImportError("every anchor and event of the retention grammar needs its wording")


def duration(value: retention.Duration, lang: str) -> str:
    one, many = _UNITS[value.unit]
    return f"{value.amount} {pick(one if value.amount == 1 else many, lang)}"


def lifetime(value: retention.Lifetime, lang: str) -> str:
    """A cookie's lifetime: "13 mois", "for the session"."""
    if isinstance(value, retention.Session):
        return pick(_SESSION, lang)
    return duration(value, lang)


def _clause(clause: retention.Clause, lang: str) -> str:
    if isinstance(clause, retention.AfterClause):
        after = "après" if lang == "fr" else "after"
        return f"{duration(clause.duration, lang)} {after} {pick(_ANCHORS[clause.anchor], lang)}"
    event = pick(_EVENTS[clause.event], lang)
    if lang != "fr":
        return f"until {event}"
    if event.startswith("le "):  # "à le" contracts to "au": jusqu'au retrait du consentement
        return f"jusqu'au {event[3:]}"
    return f"jusqu'à {event}"


def rule(value: retention.RetentionRule, lang: str) -> str:
    """A retention rule as a sentence: "jusqu'au retrait du consentement ou 3 ans après …"."""
    joiner = " ou " if lang == "fr" else " or "
    return joiner.join(_clause(clause, lang) for clause in value.clauses)


# --------------------------------------------------------------------------- places

_COUNTRIES: dict[str, Phrase] = {
    "EU": _pair("Union européenne", "European Union"),
    "EEA": _pair("Espace économique européen", "European Economic Area"),
    "AT": _pair("Autriche", "Austria"),
    "BE": _pair("Belgique", "Belgium"),
    "BG": _pair("Bulgarie", "Bulgaria"),
    "CA": _pair("Canada", "Canada"),
    "CH": _pair("Suisse", "Switzerland"),
    "CY": _pair("Chypre", "Cyprus"),
    "CZ": _pair("Tchéquie", "Czechia"),
    "DE": _pair("Allemagne", "Germany"),
    "DK": _pair("Danemark", "Denmark"),
    "EE": _pair("Estonie", "Estonia"),
    "ES": _pair("Espagne", "Spain"),
    "FI": _pair("Finlande", "Finland"),
    "FR": _pair("France", "France"),
    "GB": _pair("Royaume-Uni", "United Kingdom"),
    "GR": _pair("Grèce", "Greece"),
    "HR": _pair("Croatie", "Croatia"),
    "HU": _pair("Hongrie", "Hungary"),
    "IE": _pair("Irlande", "Ireland"),
    "IS": _pair("Islande", "Iceland"),
    "IT": _pair("Italie", "Italy"),
    "LI": _pair("Liechtenstein", "Liechtenstein"),
    "LT": _pair("Lituanie", "Lithuania"),
    "LU": _pair("Luxembourg", "Luxembourg"),
    "LV": _pair("Lettonie", "Latvia"),
    "MT": _pair("Malte", "Malta"),
    "NL": _pair("Pays-Bas", "Netherlands"),
    "NO": _pair("Norvège", "Norway"),
    "PL": _pair("Pologne", "Poland"),
    "PT": _pair("Portugal", "Portugal"),
    "RO": _pair("Roumanie", "Romania"),
    "SE": _pair("Suède", "Sweden"),
    "SI": _pair("Slovénie", "Slovenia"),
    "SK": _pair("Slovaquie", "Slovakia"),
    "US": _pair("États-Unis", "United States"),
}


def country(code: str, lang: str) -> str:
    """A country's name, or its ISO code when Gardien has no name for it."""
    return pick(_COUNTRIES[code], lang) if code in _COUNTRIES else code


def countries(codes: Iterable[str], lang: str) -> str:
    return ", ".join(country(code, lang) for code in codes)


# --------------------------------------------------------------------------- cookies

_CONSENT_KINDS: dict[str, Phrase] = {
    "required": _pair("consentement nécessaire", "consent needed"),
    "exempt_with_opt_out": _pair(
        "exempté de consentement, opposition possible", "exempt from consent, you can object"
    ),
    "not_needed": _pair("pas de consentement nécessaire", "no consent needed"),
}
_PARTIES: dict[str, Phrase] = {
    "first": _pair("ce site", "this site"),
    "third": _pair("tiers", "third party"),
}
_STORAGES: dict[str, Phrase] = {
    "cookie": _pair("cookie", "cookie"),
    "local_storage": _pair("stockage local", "local storage"),
    "session_storage": _pair("stockage de session", "session storage"),
}


def consent_kind(kind: str, lang: str) -> str:
    return pick(_CONSENT_KINDS[kind], lang)


def party(kind: str, lang: str) -> str:
    return pick(_PARTIES[kind], lang)


def storage(kind: str, lang: str) -> str:
    return pick(_STORAGES[kind], lang)


def covers(literal: object) -> set[str]:
    """The values of a ``Literal[...]`` type (used by tests that every value has a wording)."""
    return set(typing.get_args(literal))


# --------------------------------------------------------------------------- recipients

#: role -> (GDPR article, name)
_PROCESSOR_ROLES: dict[str, tuple[str, Phrase]] = {
    "processor": ("28", _pair("sous-traitant", "processor")),
    "sub_processor": ("28(2), 28(4)", _pair("sous-traitant ultérieur", "sub-processor")),
    "joint_controller": ("26", _pair("responsable conjoint", "joint controller")),
    "independent_controller": (
        "4(7)",
        _pair("responsable de traitement distinct", "independent controller"),
    ),
}


def processor_role(role: str, lang: str) -> str:
    return pick(_PROCESSOR_ROLES[role][1], lang)


def processor_role_article(role: str) -> str:
    return _PROCESSOR_ROLES[role][0]
