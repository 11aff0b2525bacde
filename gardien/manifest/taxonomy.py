"""Data-category keys: fideslang's default taxonomy plus the manifest's own extensions."""

from __future__ import annotations

import difflib
from functools import cache


@cache
def fideslang_categories() -> dict[str, str]:
    """Every data-category key of fideslang's default taxonomy with its English name."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: (c.name or c.fides_key) for c in DEFAULT_TAXONOMY.data_category}


def unknown_category_message(key: str, extensions: set[str]) -> str:
    known = set(fideslang_categories()) | extensions
    close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
    hint = (
        f"; did you mean {', '.join(repr(c) for c in close)}?"
        if close
        else (
            "; use a key of fideslang's taxonomy (e.g. 'user.contact.email') "
            "or declare it under [[taxonomy.data_categories]]"
        )
    )
    return (
        f'data category "{key}" is not in the fideslang taxonomy nor declared by the manifest{hint}'
    )


# French names of the fideslang keys an organisation commonly declares (fideslang's own
# names are English only). A key missing here shows its English name.
FRENCH_NAMES: dict[str, str] = {
    "system": "Données techniques",
    "system.authentication": "Données d'authentification",
    "system.operations": "Journaux techniques",
    "user": "Données personnelles",
    "user.account": "Compte",
    "user.account.username": "Identifiant de compte",
    "user.behavior": "Comportement",
    "user.behavior.browsing_history": "Historique de navigation",
    "user.contact": "Coordonnées",
    "user.contact.address": "Adresse postale",
    "user.contact.email": "Adresse électronique",
    "user.contact.organization": "Organisation",
    "user.contact.phone_number": "Numéro de téléphone",
    "user.contact.url": "Site web",
    "user.content": "Contenus fournis",
    "user.content.private": "Contenu d'un message",
    "user.content.public": "Contenu public",
    "user.demographic.language": "Langue",
    "user.device": "Données de l'appareil",
    "user.device.cookie": "Cookie",
    "user.device.cookie_id": "Identifiant de cookie",
    "user.device.device_id": "Identifiant d'appareil",
    "user.device.ip_address": "Adresse IP",
    "user.government_id": "Pièce d'identité",
    "user.job_title": "Fonction",
    "user.location.imprecise": "Localisation approximative",
    "user.location.precise": "Localisation précise",
    "user.name": "Nom et prénom",
    "user.name.first": "Prénom",
    "user.name.last": "Nom",
    "user.privacy_preferences": "Préférences de confidentialité",
    "user.unique_id.pseudonymous": "Identifiant pseudonyme",
}


def category_label(key: str, lang: str) -> str:
    if lang == "fr" and key in FRENCH_NAMES:
        return FRENCH_NAMES[key]
    return fideslang_categories().get(key, key)
