"""Shared material for the manifest tests: a small valid manifest and a way to break it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gardien.manifest import ManifestError, load_text
from gardien.manifest.loader import Problem
from gardien.manifest.schema import Manifest
from tests.english import english  # noqa: F401  (the problems are asserted in English)

COOPO = Path(__file__).resolve().parents[2] / "examples" / "coopo" / "gardien.toml"

# Minimal but complete: every section, one activity per common legal basis (legitimate
# interest, consent), one processor serving both, and one cookie purpose of each kind.
VALID = """\
schema_version = 1

[controller]
name = "Atelier Bleu"
address = "12 rue des Lilas, 69001 Lyon, France"
email = "contact@atelier-bleu.example"
website = "https://atelier-bleu.example"

[dpo]
email = "dpo@atelier-bleu.example"
postal_address = "Atelier Bleu, DPO, 12 rue des Lilas, 69001 Lyon, France"

[authority]
name = "CNIL"
full_name = { fr = "Commission nationale de l'informatique et des libertés", en = "French DPA" }
website = "https://www.cnil.fr"
complaint_url = "https://www.cnil.fr/fr/plaintes"
postal_address = "3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07"

[site]
name = "Atelier Bleu"
url = "https://atelier-bleu.example"
origins = ["https://atelier-bleu.example"]

[policy]
introduction = { fr = "Atelier Bleu protège vos données.", en = "Atelier Bleu protects your data." }
minimisation = { fr = "Rien que le nécessaire.", en = "Only what we need." }
security = { fr = "Les données sont chiffrées.", en = "The data is encrypted." }
amendments = { fr = "Chaque version est datée.", en = "Each version is dated." }

[rights]
what_to_include = { fr = "Votre nom et le droit exercé.", en = "Your name and the right." }
identity_proof = { fr = "Seulement en cas de doute.", en = "Only in case of doubt." }

[[activities]]
id = "contact"
name = { fr = "Formulaire de contact", en = "Contact form" }
purpose = { fr = "Répondre à votre message.", en = "To answer your message." }
legal_basis = "legitimate_interest"
legitimate_interest = { fr = "Répondre à qui nous écrit.", en = "Answering those who write to us." }
data_subjects = [{ fr = "Personnes qui nous écrivent", en = "People who write to us" }]
recipients = ["mailer"]
retention = "3 years after last_contact"

  [[activities.fields]]
  name = "email"
  label = { fr = "Adresse électronique", en = "Email address" }
  categories = ["user.contact.email"]
  required = true
  input = "email"
  if_missing = { fr = "Nous ne pouvons pas vous répondre.", en = "We cannot reply to you." }

  [[activities.fields]]
  name = "message"
  label = { fr = "Message", en = "Message" }
  categories = ["user.content.private"]
  required = false
  input = "textarea"

[[activities]]
id = "newsletter"
name = { fr = "Lettre d'information", en = "Newsletter" }
purpose = { fr = "Vous envoyer notre lettre.", en = "To send you our newsletter." }
legal_basis = "consent"
consent_recorded_by = "double_opt_in"
data_subjects = [{ fr = "Abonnés", en = "Subscribers" }]
recipients = ["mailer"]
retention = "until consent withdrawn or 3 years after last_contact"

  [[activities.fields]]
  name = "email"
  label = { fr = "Adresse électronique", en = "Email address" }
  categories = ["user.contact.email"]
  required = true
  input = "email"
  if_missing = { fr = "Nous ne pouvons pas vous inscrire.", en = "We cannot subscribe you." }

[[processors]]
id = "mailer"
name = "Mailer"
entity = "Mailer SAS, 1 avenue de France, 75013 Paris, France"
service = { fr = "Envoi des courriels.", en = "Sending emails." }
country = "FR"
data_location = ["FR"]
receives = ["user.contact.email", "user.content.private"]
dpa = { reference = "Mailer DPA", date = 2024-01-15 }

[cookies]
choice_lifetime = "12 months"

  [[cookies.purposes]]
  id = "necessary"
  name = { fr = "Nécessaires", en = "Necessary" }
  description = { fr = "Indispensables au site.", en = "Needed by the site." }
  consent = "not_needed"

  [[cookies.purposes]]
  id = "audience"
  name = { fr = "Mesure d'audience", en = "Audience measurement" }
  description = { fr = "Statistiques anonymes.", en = "Anonymous statistics." }
  consent = "exempt_with_opt_out"

  [[cookies.purposes]]
  id = "tracking"
  name = { fr = "Suivi des envois", en = "Mailing tracking" }
  description = { fr = "Relie vos visites à la lettre.", en = "Links visits to the newsletter." }
  consent = "required"
  activity = "newsletter"

  [[cookies.services]]
  id = "site"
  name = "Atelier Bleu"
  purpose = "necessary"
  party = "first"
  description = { fr = "Mémorise vos choix.", en = "Remembers your choices." }
  cookies = [
    { name = "sessionid", lifetime = "session", description = { fr = "Session", en = "Session" } },
  ]

  [[cookies.services]]
  id = "stats"
  name = "Statistiques"
  purpose = "audience"
  party = "first"
  description = { fr = "Compte les visites.", en = "Counts visits." }
  cookies = [
    { name = "visitor", lifetime = "13 months", description = { fr = "Visiteur", en = "Visitor" } },
  ]

  [[cookies.services]]
  id = "tracker"
  name = "Mailer Tracker"
  purpose = "tracking"
  party = "third"
  provider = "mailer"
  description = { fr = "Suit les visites des abonnés.", en = "Tracks subscribers' visits." }
  cookies = [
    { name = "mailer_uid", lifetime = "6 months", description = { fr = "Abonné", en = "User" } },
  ]
"""


class Draft:
    """A manifest text being edited by a test; every edit must match exactly once."""

    def __init__(self, text: str) -> None:
        self.text = text

    def replace(self, old: str, new: str) -> Draft:
        count = self.text.count(old)
        assert count == 1, f"{old!r} occurs {count} times in the draft, expected once"
        self.text = self.text.replace(old, new)
        return self

    def remove(self, old: str) -> Draft:
        return self.replace(old, "")

    def append(self, text: str) -> Draft:
        self.text += text
        return self

    def lines_of(self, needle: str) -> list[int]:
        """The numbers of the lines containing ``needle``, counted as editors and TOML do."""
        lines = self.text.split("\n")
        return [number for number, line in enumerate(lines, start=1) if needle in line]

    def line_of(self, needle: str) -> int:
        """The number of the only line containing ``needle``."""
        found = self.lines_of(needle)
        assert len(found) == 1, f"{needle!r} is on lines {found}, expected exactly one"
        return found[0]

    def load(self) -> Manifest:
        return load_text(self.text)

    def problems(self) -> list[Problem]:
        with pytest.raises(ManifestError) as caught:
            load_text(self.text)
        return caught.value.problems

    def problem(self) -> Problem:
        """The single problem of a manifest broken in exactly one place."""
        problems = self.problems()
        assert len(problems) == 1, "expected exactly one problem, got:\n" + "\n".join(
            f"{p.line}: {p.message}" for p in problems
        )
        return problems[0]


@pytest.fixture
def draft() -> Draft:
    return Draft(VALID)


@pytest.fixture(scope="session")
def valid_text() -> str:
    return VALID


@pytest.fixture(scope="session")
def coopo_path() -> Path:
    return COOPO


@pytest.fixture(scope="session")
def coopo_text() -> str:
    return COOPO.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def coopo_data(coopo_text: str) -> dict:
    return tomllib.loads(coopo_text)
