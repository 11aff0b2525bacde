"""Data-category keys: fideslang's default taxonomy plus the manifest's own extensions."""

from __future__ import annotations

import difflib
from functools import cache

from django.utils.translation import gettext as _


@cache
def fideslang_categories() -> dict[str, str]:
    """Every data-category key of fideslang's default taxonomy with its English name."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {c.fides_key: (c.name or c.fides_key) for c in DEFAULT_TAXONOMY.data_category}


def unknown_category_message(key: str, extensions: set[str]) -> str:
    known = set(fideslang_categories()) | extensions
    close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
    if close:
        return _(
            'data category "%(key)s" is not in the fideslang taxonomy nor declared by the '
            "manifest; did you mean %(close)s?"
        ) % {"key": key, "close": ", ".join(repr(c) for c in close)}
    return _(
        'data category "%(key)s" is not in the fideslang taxonomy nor declared by the '
        "manifest; use a key of fideslang's taxonomy (e.g. 'user.contact.email') or declare "
        "it under [[taxonomy.data_categories]]"
    ) % {"key": key}


# Names of the fideslang keys an organisation commonly declares, as a reader of the policy or
# the register expects them: fideslang's own names are English only and written for
# engineers ("User Contact Email"). A key missing here shows fideslang's name.
NAMES: dict[str, tuple[str, str]] = {
    "system": ("Données techniques", "Technical data"),
    "system.authentication": ("Données d'authentification", "Authentication data"),
    "system.operations": ("Journaux techniques", "Technical logs"),
    "user": ("Données personnelles", "Personal data"),
    "user.account": ("Compte", "Account"),
    "user.account.username": ("Identifiant de compte", "Username"),
    "user.behavior": ("Comportement", "Behaviour"),
    "user.behavior.browsing_history": ("Historique de navigation", "Browsing history"),
    "user.contact": ("Coordonnées", "Contact details"),
    "user.contact.address": ("Adresse postale", "Postal address"),
    "user.contact.email": ("Adresse e-mail", "Email address"),
    "user.contact.organization": ("Organisation", "Organisation"),
    "user.contact.phone_number": ("Numéro de téléphone", "Phone number"),
    "user.contact.url": ("Site web", "Website"),
    "user.content": ("Contenus fournis", "Content provided"),
    "user.content.private": ("Contenu d'un message", "Content of a message"),
    "user.content.public": ("Contenu public", "Public content"),
    "user.demographic.language": ("Langue", "Language"),
    "user.device": ("Données de l'appareil", "Device data"),
    "user.device.cookie": ("Cookie", "Cookie"),
    "user.device.cookie_id": ("Identifiant de cookie", "Cookie identifier"),
    "user.device.device_id": ("Identifiant d'appareil", "Device identifier"),
    "user.device.ip_address": ("Adresse IP", "IP address"),
    "user.government_id": ("Pièce d'identité", "Identity document"),
    "user.job_title": ("Fonction", "Job title"),
    "user.location.imprecise": ("Localisation approximative", "Approximate location"),
    "user.location.precise": ("Localisation précise", "Precise location"),
    "user.name": ("Nom et prénom", "Name"),
    "user.name.first": ("Prénom", "First name"),
    "user.name.last": ("Nom", "Last name"),
    "user.privacy_preferences": ("Préférences de confidentialité", "Privacy preferences"),
    "user.unique_id.pseudonymous": ("Identifiant pseudonyme", "Pseudonymous identifier"),
}


def category_label(key: str, lang: str) -> str:
    """A data category by its name in ``lang`` (French or English), never by its key when
    fideslang or the list above names it."""
    if key in NAMES:
        return NAMES[key][0 if lang == "fr" else 1]
    return fideslang_categories().get(key, key)
