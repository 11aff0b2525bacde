"""The banner's default texts in French and English.

A manifest overrides any of them under ``[cookies.wording]``. Each text carries its own
punctuation (a label ends with its colon), as docs/consent.md says. They are plain dictionaries
rather than translation catalogue entries on purpose: they are part of the configuration
document whose hash every proof of consent keeps, so they must change only with Gardien's
code, never with a catalogue edited on a server.
"""

from __future__ import annotations

from gardien.manifest.schema import BANNER_STRINGS, Manifest

DEFAULTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Les cookies et vos choix",
        "intro": (
            "Ce site utilise des cookies et des traceurs similaires. Ceux qui sont nécessaires "
            "à son fonctionnement sont toujours actifs. Les autres ne sont utilisés que si vous "
            "les acceptez ; les refuser n'a aucune conséquence sur votre visite. Vous pouvez "
            "changer d'avis à tout moment avec le lien « Gestion des cookies » en bas de "
            "chaque page."
        ),
        "accept_all": "Tout accepter",
        "refuse_all": "Tout refuser",
        "customise": "Personnaliser",
        "save": "Enregistrer mes choix",
        "close": "Fermer",
        "continue_without": "Continuer sans accepter",
        "settings": "Gestion des cookies",
        "consent_id": "Référence de votre choix :",
        "gpc": (
            "Votre navigateur envoie le signal Global Privacy Control : nous le prenons comme "
            "un refus de tous les cookies facultatifs. Vous pouvez tout de même en autoriser "
            "certains."
        ),
        "exempt": "Exemptés de consentement : vous pouvez vous y opposer",
        "always_on": "Toujours actifs",
        "what_changed": "Ce qui a changé depuis votre dernier choix :",
        "vendors": "Tiers concernés :",
        "inventory": "Liste de tous les cookies",
        "policy": "Politique de confidentialité",
        # The placeholder of a blocked embed; the script puts in {service} and {purpose}.
        "blocked": (
            "Contenu de {service} bloqué : il ne se charge qu'avec votre accord pour "
            "«\u00a0{purpose}\u00a0»."
        ),
        "allow": "Autoriser «\u00a0{purpose}\u00a0»",
    },
    "en": {
        "title": "Cookies and your choices",
        "intro": (
            "This site uses cookies and similar trackers. Those it needs to work are always "
            "on. The others are used only if you accept them; refusing them has no "
            "consequence on your visit. You can change your mind at any time with the "
            "“Cookie settings” link at the bottom of every page."
        ),
        "accept_all": "Accept all",
        "refuse_all": "Refuse all",
        "customise": "Customise",
        "save": "Save my choices",
        "close": "Close",
        "continue_without": "Continue without accepting",
        "settings": "Cookie settings",
        "consent_id": "Reference of your choice:",
        "gpc": (
            "Your browser sends the Global Privacy Control signal: we take it as a refusal "
            "of every optional cookie. You can still allow some of them."
        ),
        "exempt": "Exempt from consent: you can object",
        "always_on": "Always on",
        "what_changed": "What has changed since your last choice:",
        "vendors": "Third parties involved:",
        "inventory": "List of all cookies",
        "policy": "Privacy policy",
        "blocked": "Content from {service}, blocked: it loads only once you allow “{purpose}”.",
        "allow": "Allow “{purpose}”",
    },
}

# Added to the introduction when a purpose is exempt from consent with an opt-out.
EXEMPT_SENTENCE = {
    "fr": (
        " Les traceurs exemptés de consentement sont actifs, sauf si vous vous y opposez "
        "dans le détail des choix."
    ),
    "en": " Trackers exempt from consent are on unless you object to them in the details.",
}

# The `changes` line: "New: Brevo tracking. Removed: … . Changed: …."
CHANGE_LABELS = {
    "fr": {"new": "Nouveau : ", "removed": "Retiré : ", "changed": "Modifié : "},
    "en": {"new": "New: ", "removed": "Removed: ", "changed": "Changed: "},
}


def banner_texts(manifest: Manifest, lang: str) -> dict[str, str]:
    """Gardien's defaults in ``lang``, overridden by the manifest's ``[cookies.wording]``."""
    texts = dict(DEFAULTS[lang])
    if any(p.consent == "exempt_with_opt_out" for p in manifest.cookies.purposes):
        texts["intro"] += EXEMPT_SENTENCE[lang]
    for key, text in manifest.cookies.wording.items():
        texts[key] = text.get(lang)
    return {key: texts[key] for key in BANNER_STRINGS}
