"""What the policy page, the cookie inventory and the record of processing say of Gardien's
audience measurement, in French and English, from the manifest: the one place for that wording.

Every sentence is built from the manifest's values (the audience activity's fields and
retention, the declared identifier and its lifetime), so a published
change of any of them changes the three pages at once. The wording of the exemption follows
the CNIL's conditions for audience measurement without consent (guidelines and
recommendation on cookies, 2020); :mod:`gardien.manifest.rules` refuses a manifest outside
them, so these sentences stay true of what Gardien does.
"""

from __future__ import annotations

from dataclasses import dataclass

from gardien.manifest import Manifest
from gardien.manifest import wording as say
from gardien.manifest.schema import Activity, StoredItem

Phrase = dict[str, str]


def _pair(fr: str, en: str) -> Phrase:
    return {"fr": fr, "en": en}


_WHO = _pair(
    "Nous mesurons nous-mêmes l'audience de notre site, sur notre propre serveur (mesure "
    "« first party ») : aucun autre organisme ne reçoit ni ne voit ces données.",
    "We measure our site's audience ourselves, on our own server (first party): no other "
    "organisation receives or sees these data.",
)
_COLLECTED = _pair("Ce qui est recueilli : {fields}.", "What is collected: {fields}.")
_NO_QUERY = _pair(
    "L'adresse des pages est enregistrée sans ses paramètres.",
    "Page addresses are recorded without their parameters.",
)
_SOME_QUERY = _pair(
    "L'adresse des pages est enregistrée sans ses paramètres, sauf : {names}.",
    "Page addresses are recorded without their parameters, except: {names}.",
)
_RETENTION = _pair(
    "Les pages vues sont conservées {rule}, puis supprimées ; seules restent des statistiques "
    "par jour, sans aucun identifiant.",
    "Page views are kept {rule}, then deleted; only daily statistics without any identifier "
    "remain.",
)
_IDENTIFIER = _pair(
    "Pour compter les visiteurs uniques, un identifiant aléatoire est gardé dans votre "
    "navigateur ({storage} « {name} ») pendant {lifetime} à compter de sa création, sans "
    "jamais être prolongé ; il est effacé si vous vous opposez à la mesure.",
    "To count unique visitors, a random identifier is kept in your browser ({storage} "
    "“{name}”) for {lifetime} from its creation and is never extended; it is erased if you "
    "object to the measurement.",
)
_NO_IDENTIFIER = _pair(
    "Rien n'est gardé dans votre navigateur : les statistiques comptent des visites, pas des "
    "visiteurs.",
    "Nothing is kept in your browser: the statistics count visits, not visitors.",
)
_EXEMPT = _pair(
    "Cette mesure est exemptée de consentement selon les règles de la CNIL, parce que :",
    "This measurement is exempt from consent under the CNIL's rules, because:",
)
_CONDITIONS: tuple[Phrase, ...] = (
    _pair(
        "elle sert seulement à mesurer l'audience de ce site, pour nous seuls, sans suivi d'un "
        "site à l'autre ;",
        "it only measures this site's audience, for us alone, with no tracking across sites;",
    ),
    _pair(
        "ses données ne sont croisées avec aucun autre traitement et ne sont transmises à "
        "aucun tiers ;",
        "its data are combined with no other processing and passed to no third party;",
    ),
    _pair(
        "aucune adresse IP complète n'est conservée : l'adresse sert seulement à écarter les "
        "doublons de quelques secondes, sans être enregistrée ;",
        "no full IP address is kept: the address only serves to drop duplicates within a few "
        "seconds, and is never stored;",
    ),
    _pair(
        "vous pouvez vous y opposer à tout moment, et votre opposition s'applique aussitôt ;",
        "you can object to it at any time, and your objection applies at once;",
    ),
    _pair(
        "un navigateur qui envoie le signal Global Privacy Control est traité comme s'opposant.",
        "a browser sending the Global Privacy Control signal is treated as objecting.",
    ),
)
_OBJECT = _pair(
    "Pour vous y opposer, utilisez le lien « Gestion des cookies » en bas de chaque page, ou "
    "la page {url}, qui fonctionne aussi sans JavaScript : plus aucune page vue n'est envoyée.",
    "To object, use the “Cookie settings” link at the bottom of every page, or the page "
    "{url}, which also works without JavaScript: no page view is sent any more.",
)


@dataclass(frozen=True)
class AudienceDescription:
    """The audience measurement in words, one sentence per thing the visitor should know."""

    activity: str  # the id of the activity the measurement runs under
    name: str  # the activity's name
    who: str
    collected: str
    addresses: str
    retention: str
    identifier: str
    exemption: str  # the sentence introducing ``conditions``
    conditions: list[str]
    objection: str
    objection_url: str

    def sentences(self) -> list[str]:
        """Every sentence in reading order, for plain-text places (a register cell)."""
        return [
            self.who,
            self.collected,
            self.addresses,
            self.retention,
            self.identifier,
            " ".join([self.exemption, *self.conditions]),
            self.objection,
        ]

    def text(self) -> str:
        return " ".join(self.sentences())


def visitor_item(manifest: Manifest) -> StoredItem | None:
    """The declared storage item holding the visitor identifier; None without one."""
    audience = manifest.audience
    if audience is None or not audience.unique_visitors:
        return None
    for service in manifest.cookies.services:
        if service.purpose != audience.purpose or service.party != "first":
            continue
        for item in service.cookies:
            if item.name == audience.visitor_key:
                return item
    return None


def activity(manifest: Manifest) -> Activity | None:
    """The activity the audience measurement runs under (its purpose's), if any."""
    if manifest.audience is None:
        return None
    for purpose in manifest.cookies.purposes:
        if purpose.id == manifest.audience.purpose and purpose.activity:
            try:
                return manifest.activity(purpose.activity)
            except KeyError:
                return None
    return None


def objection_url(lang: str) -> str:
    """The cookie settings page, which works without JavaScript, as an absolute address
    (the record of processing is read away from the site)."""
    from django.conf import settings
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('consent-page-lang', kwargs={'lang': lang})}"


def describe(manifest: Manifest, lang: str) -> AudienceDescription | None:
    """The audience measurement of ``manifest`` in ``lang``; None without ``[audience]``."""
    audience, kept = manifest.audience, activity(manifest)
    if audience is None or kept is None:
        return None
    fields = "; ".join(f.label.get(lang) for f in kept.fields)
    if audience.query_parameters:
        addresses = say.pick(_SOME_QUERY, lang).format(names=", ".join(audience.query_parameters))
    else:
        addresses = say.pick(_NO_QUERY, lang)
    item = visitor_item(manifest)
    if item is not None:
        identifier = say.pick(_IDENTIFIER, lang).format(
            storage=say.storage(item.storage, lang),
            name=item.name,
            lifetime=say.lifetime(item.lifetime, lang),
        )
    else:
        identifier = say.pick(_NO_IDENTIFIER, lang)
    link = objection_url(lang)
    return AudienceDescription(
        activity=kept.id,
        name=kept.name.get(lang),
        who=say.pick(_WHO, lang),
        collected=say.pick(_COLLECTED, lang).format(fields=fields),
        addresses=addresses,
        retention=say.pick(_RETENTION, lang).format(rule=say.rule(kept.retention, lang)),
        identifier=identifier,
        exemption=say.pick(_EXEMPT, lang),
        conditions=[say.pick(c, lang) for c in _CONDITIONS],
        objection=say.pick(_OBJECT, lang).format(url=link),
        objection_url=link,
    )
