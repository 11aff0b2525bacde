"""The proof-of-work challenge (ALTCHA protocol, SHA-256), issued and redeemed here.

Issue one for ``GET /api/challenge`` with :func:`issue`: the browser finds the number
``n`` for which ``sha256(salt + n) == challenge`` and sends back, in the form field
``altcha``, ``base64(JSON{algorithm, challenge, number, salt, signature})``. Check that
field with :func:`redeem`: it answers ``None`` for a good solution seen for the first time,
else what is wrong with it (:class:`Problem`).

The signature is an HMAC of the challenge under a key derived from ``SECRET_KEY`` for this
purpose only, so there is no new secret to manage. The salt carries the expiry
(``?expires=<unix time>&``) and is covered by the signature. Time is Gardien's clock
(``gardien.lib.clock``), so a simulated ``GARDIEN_NOW`` moves expiry too.

A redeemed challenge is remembered (:class:`UsedChallenge`, a hash of the challenge only)
until it expires, and a second redemption is refused by the table's unique constraint.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.parse
from enum import StrEnum
from typing import Any, Final

from altcha import ChallengeOptionsV1, create_challenge_v1, hash_hex, hmac_hex
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from gardien.antispam.models import UsedChallenge
from gardien.lib import clock

FIELD = "altcha"
ALGORITHM: Final = "SHA-256"
# A genuine payload is about 300 characters and its salt about 50.
PAYLOAD_MAX_LENGTH = 2000
SALT_MAX_LENGTH = 200
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


class Problem(StrEnum):
    MISSING = "challenge_missing"
    INVALID = "challenge_invalid"
    EXPIRED = "challenge_expired"
    USED = "challenge_used"


def signing_key() -> str:
    """The HMAC key of challenges, derived from ``SECRET_KEY`` for this purpose only."""
    return salted_hmac(
        "gardien.antispam.altcha", "challenge signing key", algorithm="sha256"
    ).hexdigest()


def issue() -> dict[str, Any]:
    """A new signed challenge, as the JSON document the browser receives."""
    expires = clock.now() + dt.timedelta(seconds=settings.GARDIEN_ALTCHA_EXPIRES_SECONDS)
    made = create_challenge_v1(
        ChallengeOptionsV1(
            algorithm=ALGORITHM,
            max_number=settings.GARDIEN_ALTCHA_MAXNUMBER,
            hmac_key=signing_key(),
            expires=expires,
        )
    )
    return {
        "algorithm": made.algorithm,
        "challenge": made.challenge,
        "maxnumber": made.max_number,
        "salt": made.salt,
        "signature": made.signature,
    }


def _decoded(payload: str) -> dict[str, Any] | None:
    """The payload's fields when they have the shape of a solution to one of ours."""
    if len(payload) > PAYLOAD_MAX_LENGTH:
        return None
    try:
        data = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):  # bad base64, bad UTF-8 or bad JSON
        return None
    if not isinstance(data, dict) or data.get("algorithm") != ALGORITHM:
        return None
    number, salt = data.get("number"), data.get("salt")
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        return None
    if not (isinstance(salt, str) and salt.isascii() and len(salt) <= SALT_MAX_LENGTH):
        return None
    for key in ("challenge", "signature"):
        if not (isinstance(data.get(key), str) and _HEX_SHA256.fullmatch(data[key])):
            return None
    return data


def _expires_at(salt: str) -> dt.datetime | None:
    """The expiry the salt carries, or None when it carries none or several."""
    _nonce, _sep, query = salt.partition("?")
    values = urllib.parse.parse_qs(query).get("expires", [])
    if len(values) != 1 or not values[0].isdigit():
        return None
    try:
        return dt.datetime.fromtimestamp(int(values[0]), tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def redeem(payload: str) -> Problem | None:
    """Check a solution and mark its challenge used; None when it is good and new."""
    if not payload.strip():
        return Problem.MISSING
    data = _decoded(payload.strip())
    if data is None:
        return Problem.INVALID
    # As the altcha library does: the salt ends with "&", so that no salt and number can
    # be spliced into another pair with the same concatenation.
    salt = data["salt"] if data["salt"].endswith("&") else data["salt"] + "&"
    challenge = hash_hex(ALGORITHM, f"{salt}{data['number']}".encode())
    signature = hmac_hex(ALGORITHM, challenge.encode(), signing_key())
    # Compared here in constant time; altcha.verify_solution_v1 compares with ==.
    if not (
        hmac.compare_digest(challenge, data["challenge"])
        and hmac.compare_digest(signature, data["signature"])
    ):
        return Problem.INVALID
    expires_at = _expires_at(salt)
    if expires_at is None:
        return Problem.INVALID
    if expires_at <= clock.now():
        return Problem.EXPIRED
    digest = hashlib.sha256(challenge.encode()).hexdigest()
    try:
        with transaction.atomic():
            UsedChallenge.objects.create(digest=digest, expires_at=expires_at)
    except IntegrityError:
        return Problem.USED
    return None


def purge_used_challenges(now: dt.datetime) -> int:
    """Forget challenges expired at ``now`` (they are refused as expired); returns how many."""
    deleted, _per_model = UsedChallenge.objects.filter(expires_at__lte=now).delete()
    return deleted
