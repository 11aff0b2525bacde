"""Anti-spam for Gardien's public forms: the two calls a form view makes.

    from gardien import antispam

    refusal = antispam.check(request, request.POST, scope="contact")
    if refusal is not None and refusal.honeypot:
        return success_page(request)  # pretend: store nothing, send nothing
    if refusal is not None:
        response = render_error(refusal.status, refusal.message)
        if refusal.retry_after is not None:
            response["Retry-After"] = str(refusal.retry_after)
        return response
    ... validate the form; when it is invalid, answer without calling accepted() ...
    ... store the submission, enqueue its effects ...
    antispam.accepted(request, scope="contact")

:func:`check` runs, in this order, the honeypot (``honeypot.py``), the per-address limit
(``ratelimit.py``) and, when ``GARDIEN_ALTCHA`` is on, the proof-of-work challenge
(``challenge.py``; the browser side is ``static/antispam/altcha.js``, the challenge
comes from ``GET /api/challenge``). The first that refuses answers, with a sentence in the
active language saying what to do. A redeemed challenge cannot be used again, even when
the form then turns out invalid: the script solves a new one for each submission.

:func:`accepted` counts the submission against the limit; call it only once the
submission is stored, so that refused and invalid submissions do not count.

Nothing here keeps an address or a message: the limiter keeps a keyed hash of the address
and the challenge table a hash of the challenge, each for a few minutes, and the periodic
job ``antispam.purge`` removes them (:func:`purge_expired`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext

from gardien.antispam import challenge, ratelimit
from gardien.antispam.challenge import Problem
from gardien.antispam.honeypot import honeypot_filled
from gardien.lib import clock
from gardien.processors.periodic import periodic

__all__ = [
    "PURGE_EVERY",
    "Purged",
    "Refusal",
    "accepted",
    "check",
    "purge_expired",
    "register_periodic_jobs",
]

logger = logging.getLogger("gardien.antispam")

PURGE_EVERY = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Refusal:
    """Why a submission is not accepted, and what to answer.

    ``honeypot`` True: answer exactly as for a success and store nothing. Otherwise
    answer ``status`` with ``message`` (a sentence in the active language); ``code`` is
    stable for scripts and tests. With 429, set ``Retry-After`` to ``retry_after``.
    """

    status: int
    code: str
    message: str
    retry_after: int | None = None
    honeypot: bool = False


def _honeypot_refusal() -> Refusal:
    return Refusal(
        status=400,
        code="honeypot",
        message=gettext("The form could not be sent; reload the page and send it again."),
        honeypot=True,
    )


def _rate_refusal(retry_after: int) -> Refusal:
    minutes = max(1, math.ceil(retry_after / 60))
    message = ngettext(
        "This form has been sent several times from your connection in a short while; "
        "wait %(minutes)d minute and send it again.",
        "This form has been sent several times from your connection in a short while; "
        "wait %(minutes)d minutes and send it again.",
        minutes,
    ) % {"minutes": minutes}
    return Refusal(status=429, code="rate_limited", message=message, retry_after=retry_after)


def _challenge_refusal(problem: Problem) -> Refusal:
    if problem is Problem.MISSING:
        return Refusal(
            status=400,
            code=problem.value,
            message=gettext(
                "The form arrived without its anti-spam check, which needs JavaScript; "
                "turn JavaScript on, reload the page and send the form again."
            ),
        )
    messages = {
        Problem.INVALID: gettext(
            "The form's anti-spam check failed; reload the page and send the form again."
        ),
        Problem.EXPIRED: gettext(
            "The form's anti-spam check has expired; reload the page and send the form again."
        ),
        Problem.USED: gettext(
            "This form was already sent with this anti-spam check; reload the page to send "
            "it again."
        ),
    }
    return Refusal(status=403, code=problem.value, message=messages[problem])


def check(
    request: HttpRequest, data: Mapping[str, str], scope: str, *, challenge_required: bool = True
) -> Refusal | None:
    """None when the submission may be processed; else the first check's refusal.

    ``challenge_required`` False: a form that works without JavaScript (a hosted page
    sent without a solution) is checked by the honeypot and the limit only; the caller
    proves it came from its own page another way (see gardien.contact.views).
    """
    refusal: Refusal | None = None
    if honeypot_filled(data):
        refusal = _honeypot_refusal()
    elif (limited := ratelimit.check_rate(request, scope)) is not None:
        refusal = _rate_refusal(limited.retry_after)
    elif (settings.GARDIEN_ALTCHA and challenge_required) and (
        problem := challenge.redeem(str(data.get(challenge.FIELD, "") or ""))
    ):
        refusal = _challenge_refusal(problem)
    if refusal is not None:
        logger.info("Anti-spam refused a %s submission: %s.", scope, refusal.code)
    return refusal


def accepted(request: HttpRequest, scope: str) -> None:
    """Count an accepted submission of form ``scope`` against this address's limit."""
    ratelimit.count_submission(request, scope)


@dataclass(frozen=True)
class Purged:
    used_challenges: int
    counted_submissions: int


# --- a hosted page without JavaScript ----------------------------------------------------

ISSUED_SALT = "gardien.contact.issued"  # the name the contact form signed it under first
ISSUED_MAX_AGE = 24 * 3600
#: Faster than this, a form filled without JavaScript is taken for a robot's.
MIN_FILL_SECONDS = 3


def issued_token() -> str:
    """When a hosted page was shown, signed: the page's proof of a person without JavaScript."""
    return signing.dumps(int(clock.now().timestamp()), salt=ISSUED_SALT)


def seconds_since_issued(request: HttpRequest, data: Mapping[str, str]) -> float | None:
    """For a submission of a hosted page itself (same origin, CSRF-checked) with no challenge
    solution because JavaScript is off: the seconds since the page was shown.

    Filled in at human speed (:func:`human_speed`), the challenge is waived for it; the
    honeypot and the limit still apply. None for any other submission.
    """
    if data.get("altcha"):
        return None
    origin = request.META.get("HTTP_ORIGIN", "")
    if origin and origin != request.build_absolute_uri("/").rstrip("/"):
        return None
    try:
        shown = signing.loads(data.get("issued", ""), salt=ISSUED_SALT)
    except signing.BadSignature:
        return None
    return clock.now().timestamp() - shown if isinstance(shown, int) else None


def too_fast_message() -> str:
    """What a person without JavaScript who sent a hosted form too quickly is told."""
    return gettext(
        "The form was sent very quickly after the page opened; check your answers "
        "and send it again."
    )


def human_speed(age: float | None) -> bool:
    return age is not None and MIN_FILL_SECONDS <= age <= ISSUED_MAX_AGE


def purge_expired(now: dt.datetime | None = None) -> Purged:
    """Forget expired challenges and submissions older than one rate-limit period."""
    at = clock.now() if now is None else now
    purged = Purged(
        used_challenges=challenge.purge_used_challenges(at),
        counted_submissions=ratelimit.purge_counted_submissions(at),
    )
    if purged.used_challenges or purged.counted_submissions:
        logger.info(
            "Anti-spam purge: removed %d used challenges and %d counted submissions.",
            purged.used_challenges,
            purged.counted_submissions,
        )
    return purged


def register_periodic_jobs() -> None:
    """The purge, registered by ``AntispamConfig.ready()`` (idempotent)."""
    periodic("antispam.purge", every=PURGE_EVERY)(purge_expired)
