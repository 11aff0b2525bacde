"""Recording a visitor's choice: the one validation both the API and the no-JS page use.

from gardien.consent.services import ChoiceRefused, record_choice, proofs_of
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

from django.db import transaction

from gardien.consent import config
from gardien.consent.models import (
    LEDGER_COLUMNS,
    REFUSING_ACTIONS,
    ConsentAction,
    ConsentRecord,
    ConsentSealRemoval,
)
from gardien.lib import clock, crypto
from gardien.lib.sql import Insert

MAX_BODY = 4096
FIELDS = frozenset(
    {"consent_id", "action", "decisions", "version", "config_hash", "lang", "gpc", "request_id"}
)
REQUIRED_FIELDS = ("action", "decisions", "version", "config_hash", "lang")
#: The shape of every id Gardien ever handed out: 32 URL-safe characters (signed, see
#: ``new_consent_id``) or the 22 of the unsigned ids issued before, so that every one still
#: looks up (``gardien consent show``, rights requests, the back office). Whether Gardien
#: issued it is ``issued_consent_id``.
CONSENT_ID = re.compile(r"[A-Za-z0-9_-]{32}|[A-Za-z0-9_-]{22}")
#: What a consent id is made of: random bytes, then the first bytes of their HMAC.
ID_RANDOM_BYTES = 16
ID_MAC_BYTES = 8
HASH = re.compile(r"[0-9a-f]{64}")
#: The banner's key for one choice, resent unchanged when it retries that choice.
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{22}")
ACTIONS = frozenset(ConsentAction.values)
#: What every choice cookie holds (docs/consent.md); a cookie without one of them is no choice.
CHOICE_KEYS = frozenset({"id", "d", "v", "h", "p"})
#: How far ahead of the server's clock a choice may be dated (the visitor's clock may be fast).
CHOICE_CLOCK_SKEW = 86400


class ChoiceRefused(Exception):
    """A choice that cannot be recorded: HTTP status, a code and a sentence saying what to fix."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def as_json(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


def _bad(code: str, message: str) -> ChoiceRefused:
    return ChoiceRefused(400, code, message)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _bad("duplicate_key", f'"{key}" appears twice; send each key once.')
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise _bad("malformed_json", f"{name} is not valid JSON; send numbers, not {name}.")


def parse_body(body: bytes) -> Any:
    """The JSON of a request body of at most ``MAX_BODY`` bytes, each key once."""
    if len(body) > MAX_BODY:
        raise ChoiceRefused(
            413, "too_large", f"The body is larger than {MAX_BODY} bytes; send only the choice."
        )
    try:
        return json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
        )
    except (UnicodeDecodeError, ValueError):
        raise _bad(
            "malformed_json", "The body is not valid JSON; send a JSON object encoded in UTF-8."
        ) from None


def _check_decisions(
    decisions: object, configuration: config.Configuration, action: str
) -> dict[str, bool]:
    if not isinstance(decisions, dict):
        raise _bad(
            "invalid_decisions",
            '"decisions" must be an object naming each purpose, e.g. {"audience": true}.',
        )
    expected = configuration.switched
    unknown = sorted(set(decisions) - set(expected))
    if unknown:
        raise _bad(
            "unknown_purpose",
            f'"{unknown[0]}" is not a purpose of version {configuration.version} with a '
            f"choice; the purposes are: {', '.join(expected)}.",
        )
    missing = [p for p in expected if p not in decisions]
    if missing:
        raise _bad(
            "missing_purpose",
            f'"decisions" must name every purpose with a choice; "{missing[0]}" is missing.',
        )
    for purpose, value in decisions.items():
        if not isinstance(value, bool):
            raise _bad(
                "invalid_decision",
                f'The decision for "{purpose}" must be true or false, not {json.dumps(value)}.',
            )
    if action == ConsentAction.ACCEPT_ALL and not all(decisions.values()):
        raise _bad(
            "inconsistent_decisions",
            '"accept_all" must grant every purpose; use "custom" for a partial choice.',
        )
    if action in REFUSING_ACTIONS and any(decisions.values()):
        raise _bad(
            "inconsistent_decisions",
            f'"{action}" refuses every purpose and objects to the exempt ones, so every '
            'decision must be false; use "custom" for a partial choice.',
        )
    return {p: decisions[p] for p in expected}


def validate_choice(payload: object) -> tuple[dict[str, Any], config.Configuration]:
    """Check a choice against the contract; the clean values and the configuration it used."""
    if not isinstance(payload, dict):
        raise _bad("not_an_object", 'The body must be a JSON object, e.g. {"action": …}.')
    unknown = sorted(set(payload) - FIELDS)
    if unknown:
        raise _bad(
            "unknown_field",
            f'"{unknown[0]}" is not part of a choice; send only: {", ".join(sorted(FIELDS))}.',
        )
    missing = [name for name in REQUIRED_FIELDS if name not in payload]
    if missing:
        raise _bad("missing_field", f'"{missing[0]}" is missing from the choice.')
    action = payload["action"]
    if not isinstance(action, str) or action not in ACTIONS:
        raise _bad("invalid_action", f'"action" must be one of: {", ".join(ConsentAction.values)}.')
    lang = payload["lang"]
    if lang not in config.LANGUAGES:
        raise _bad("invalid_language", '"lang" must be "fr" or "en".')
    version = payload["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad("invalid_version", '"version" must be the whole number of the configuration.')
    config_hash = payload["config_hash"]
    if not isinstance(config_hash, str) or not HASH.fullmatch(config_hash):
        raise _bad(
            "invalid_config_hash",
            '"config_hash" must be the 64 hexadecimal characters of the configuration\'s "hash".',
        )
    consent_id = payload.get("consent_id")
    if consent_id is not None and (
        not isinstance(consent_id, str) or not CONSENT_ID.fullmatch(consent_id)
    ):
        raise _bad(
            "invalid_consent_id",
            '"consent_id" must be null or the id Gardien returned earlier.',
        )
    request_id = payload.get("request_id")
    if request_id is not None and (
        not isinstance(request_id, str) or not REQUEST_ID.fullmatch(request_id)
    ):
        raise _bad(
            "invalid_request_id",
            '"request_id" must be null or 22 URL-safe characters drawn by the banner for '
            "this choice.",
        )
    gpc = payload.get("gpc", False)
    if not isinstance(gpc, bool):
        raise _bad("invalid_gpc", '"gpc" must be true or false.')
    if consent_id is not None and not issued_consent_id(consent_id):
        raise _bad(
            "invalid_consent_id",
            '"consent_id" is not an id Gardien issued (or it was altered); send the choice '
            "again with null to start a new consent id.",
        )
    configuration = config.configuration(version, lang)
    if configuration is None or configuration.hash != config_hash:
        raise ChoiceRefused(
            409,
            "stale_configuration",
            "This configuration is not (or no longer) published; reload it from "
            f"/consent/config/{lang}.json and ask again.",
        )
    decisions = _check_decisions(payload["decisions"], configuration, action)
    clean = {
        "consent_id": consent_id or new_consent_id(),
        "action": action,
        "decisions": decisions,
        "policy_version": version,
        "config_hash": config_hash,
        "lang": lang,
        "gpc": gpc,
    }
    return clean, configuration


def _mac(random_part: bytes, key: bytes) -> bytes:
    return hmac.digest(key, random_part, "sha256")[:ID_MAC_BYTES]


def new_consent_id() -> str:
    """A consent id: 128 random bits and a 64-bit HMAC of them under the newest key of
    ``crypto.signing_keys("consent-id")``, as 32 URL-safe characters without padding.

    Signed so that the API and the no-JavaScript page tell, without reading the ledger,
    an id Gardien issued from one made up or altered (which would append choices to
    someone else's proofs). The first character is a letter or a digit, so that no command
    line takes it for an option (``gardien consent show ID``): the random bytes are drawn
    again in the 1 case out of 32 where it would be "-" or "_" (the first character comes
    from them alone), and what remains is uniform over the ids allowed.
    """
    key = crypto.signing_keys("consent-id")[0]
    while True:
        random_part = secrets.token_bytes(ID_RANDOM_BYTES)
        consent_id = base64.urlsafe_b64encode(random_part + _mac(random_part, key)).decode()
        if consent_id[0].isalnum():
            return consent_id


def signed_consent_id(consent_id: str) -> bool:
    """True when ``consent_id`` carries a valid HMAC under any key still configured (the
    newest SECRET_KEY or one of SECRET_KEY_FALLBACKS); no database read."""
    if len(consent_id) != 32 or not CONSENT_ID.fullmatch(consent_id):
        return False
    try:
        raw = base64.urlsafe_b64decode(consent_id)
    except (binascii.Error, ValueError):
        return False
    random_part, mac = raw[:ID_RANDOM_BYTES], raw[ID_RANDOM_BYTES:]
    return any(
        hmac.compare_digest(mac, _mac(random_part, key))
        for key in crypto.signing_keys("consent-id")
    )


def issued_consent_id(consent_id: str) -> bool:
    """True when Gardien issued ``consent_id``: a signed id that checks, or an unsigned
    22-character one issued before ids were signed, if the ledger holds it (one indexed
    read, for that shape only). What the API and the no-JavaScript page continue."""
    if len(consent_id) == 32:
        return signed_consent_id(consent_id)
    return bool(CONSENT_ID.fullmatch(consent_id)) and (
        ConsentRecord.objects.filter(consent_id=consent_id).exists()
    )


@dataclass(frozen=True)
class Proof:
    """A choice as written to the ledger: ConsentRecord's LEDGER_COLUMNS, in their order."""

    consent_id: str
    recorded_at: dt.datetime
    action: str
    decisions: dict[str, bool]
    policy_version: int
    config_hash: str
    lang: str
    gpc: bool


_ledger_values = attrgetter(*LEDGER_COLUMNS)
# One INSERT, its SQL prepared once: this is the hot path of every banner on every site
# (see bench/), and the ORM's save() costs more than the write itself.
_ledger = Insert(ConsentRecord, LEDGER_COLUMNS)
# The same, with the banner's request id: the database, not a read before the write,
# decides which of two retries of one choice is recorded.
_keyed_ledger = Insert(ConsentRecord, (*LEDGER_COLUMNS, "request_id"), unique="request_id")


def _insert(proof: Proof) -> None:
    _ledger.execute(_ledger_values(proof))


class Recorded(NamedTuple):
    """What ``record_choice`` did: the proof, its configuration, and whether it was written
    now (False: a retry of a choice already recorded under the same request id)."""

    proof: Proof
    configuration: config.Configuration
    created: bool


def record_choice(payload: object) -> Recorded:
    """Validate a choice and write its proof (one INSERT); ChoiceRefused writes nothing.

    With a ``request_id``, the banner's retry of a choice whose answer it lost writes no
    second proof: the first one is answered again. The same request id with another
    choice is refused (422), since one of the two would be lost unseen.
    """
    clean, configuration = validate_choice(payload)
    proof = Proof(recorded_at=clock.now(), **clean)
    given: Mapping[str, Any] = payload if isinstance(payload, dict) else {}
    request_id = given.get("request_id")
    if request_id is None:
        _insert(proof)
        return Recorded(proof, configuration, True)
    if _keyed_ledger.execute((*_ledger_values(proof), request_id)):
        return Recorded(proof, configuration, True)
    return Recorded(_earlier(request_id, proof, given.get("consent_id")), configuration, False)


def _earlier(request_id: str, proof: Proof, given_id: str | None) -> Proof:
    """The proof already recorded under ``request_id``, if ``proof`` is the same choice."""
    row = ConsentRecord.objects.filter(request_id=request_id).first()
    earlier = (
        Proof(**{name: getattr(row, name) for name in LEDGER_COLUMNS}) if row is not None else None
    )
    same = earlier is not None and (
        (earlier.action, earlier.decisions, earlier.policy_version, earlier.config_hash)
        == (proof.action, proof.decisions, proof.policy_version, proof.config_hash)
        and (earlier.lang, earlier.gpc) == (proof.lang, proof.gpc)
        and given_id in (None, earlier.consent_id)
    )
    if earlier is None or not same:
        raise ChoiceRefused(
            422,
            "request_id_reused",
            '"request_id" was already used for another choice; draw a new one for each '
            "choice and resend it unchanged only when retrying that same choice.",
        )
    return earlier


def choice_cookie(record: Proof, configuration: config.Configuration) -> str:
    """The ``eu-consent`` value of the contract: encodeURIComponent(JSON.stringify(choice))."""
    choice = {
        "id": record.consent_id,
        "d": int(record.recorded_at.timestamp()),
        "v": record.policy_version,
        "h": configuration.purposes_hash[:12],
        "p": {purpose: int(granted) for purpose, granted in record.decisions.items()},
    }
    text = json.dumps(choice, separators=(",", ":"), ensure_ascii=False)
    return quote(text, safe="-_.!~*'()")


def read_choice_cookie(value: str | None) -> Mapping[str, Any] | None:
    """A choice cookie's content when it is well formed (docs/consent.md); None otherwise.

    Anything else is no choice at all: keys missing or of the wrong type, a decision that
    is not 0 or 1, a date before 1970 or ahead of the server's clock by more than
    ``CHOICE_CLOCK_SKEW`` seconds (the banner dates the choice with the visitor's clock).
    """
    if not value or len(value) > MAX_BODY:
        return None
    try:
        choice = json.loads(unquote(value))
    except (ValueError, RecursionError):
        return None
    if not isinstance(choice, dict) or not choice.keys() >= CHOICE_KEYS:
        return None
    # The id stays null until the server has answered the banner once.
    consent_id = choice["id"]
    if consent_id is not None and (
        not isinstance(consent_id, str) or not CONSENT_ID.fullmatch(consent_id)
    ):
        return None
    made, version, purposes = choice["d"], choice["v"], choice["p"]
    if type(made) is not int or not 0 <= made <= clock.now().timestamp() + CHOICE_CLOCK_SKEW:
        return None
    if type(version) is not int or version < 1 or not isinstance(choice["h"], str):
        return None
    if not isinstance(purposes, dict) or not all(
        type(granted) is int and granted in (0, 1) for granted in purposes.values()
    ):
        return None
    if consent_id is not None and not issued_consent_id(consent_id):
        # Still the visitor's own choice, but not under an id Gardien issued: the next one
        # starts a new consent id rather than continuing someone else's proofs.
        return {**choice, "id": None}
    return choice


def proofs_of(consent_id: str) -> list[ConsentRecord]:
    return list(ConsentRecord.objects.filter(consent_id=consent_id).order_by("recorded_at", "pk"))


def forget(consent_id: str) -> int:
    """Erase every proof recorded under ``consent_id`` (a rights request quoting it); the
    ledger's only deletion besides the retention purge. Returns how many went."""
    if not CONSENT_ID.fullmatch(consent_id or ""):
        return 0
    from gardien.consent.seal import record_removal

    with transaction.atomic():  # the seals keep which of their proofs went, and why
        proofs = ConsentRecord.objects.filter(consent_id=consent_id)
        record_removal(proofs, cause=ConsentSealRemoval.Cause.ERASURE)
        deleted, _per_model = proofs.delete()
    return deleted


def record_withdrawal(consent_id: str) -> Proof | None:
    """Withdraw, on the visitor's behalf, the consent given under ``consent_id`` (a rights
    request quoting it): a "withdraw" proof refusing every purpose of their latest choice,
    on the same configuration. None when no proof has that id."""
    latest = (
        ConsentRecord.objects.filter(consent_id=consent_id).order_by("-recorded_at", "-pk").first()
        if CONSENT_ID.fullmatch(consent_id or "")
        else None
    )
    if latest is None:
        return None
    proof = Proof(
        consent_id=consent_id,
        recorded_at=clock.now(),
        action=ConsentAction.WITHDRAW,
        decisions={purpose: False for purpose in latest.decisions},
        policy_version=latest.policy_version,
        config_hash=latest.config_hash,
        lang=latest.lang,
        gpc=False,
    )
    _insert(proof)
    return proof
