"""Brevo's webhooks: what happens to the list inside Brevo comes back to Gardien.

Configure in Brevo (Contacts > Settings > Webhooks, or ``POST /webhooks``) a marketing webhook
to ``https://<gardien>/hooks/brevo`` with the events *unsubscribed*, *hard bounce*, *spam*
and *click*, and the authentication ``{"type": "bearer", "token": <secret>}`` with the
secret in GARDIEN_BREVO_WEBHOOK_SECRET. The secret travels in a header, never in the URL, so
it is not written to any access log.

- *unsubscribed*, *hard bounce*, *spam*: the person is unsubscribed in Gardien as if they had
  used the link (the proof records how), and Brevo is then told to delete or blocklist them.
- *click*: the newsletter's last contact moves (the retention clock). Opens are ignored.

A request without the secret gets 401; a malformed one 400 (an event dated more than
EVENT_MAX_SKEW ahead is malformed); an event already applied, or older than EVENT_MAX_AGE
(which the replay memory covers), 409, and nothing else changes. In a batch (Brevo's JSON
list), such events are skipped one by one and the others applied: 409 only when none was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gardien.audit.services import Actor
from gardien.lib import clock
from gardien.newsletter import services
from gardien.newsletter.models import WebhookEvent
from gardien.vault import services as vault

logger = logging.getLogger("gardien.newsletter")

#: Events older than this are refused: the replay memory (WebhookEvent) keeps this long.
EVENT_MAX_AGE = dt.timedelta(days=7)
#: Events dated later than this ahead of Gardien's clock are refused as malformed (a click
#: in the future would hold the retention clock back).
EVENT_MAX_SKEW = dt.timedelta(minutes=10)
BODY_LIMIT = 256 * 1024
MAX_EVENTS = 500
#: Brevo's names for the events that end a subscription (marketing and transactional).
ENDINGS = {
    "unsubscribed": "unsubscribed at Brevo",
    "unsubscribe": "unsubscribed at Brevo",
    "hardBounce": "hard bounce",
    "hard_bounce": "hard bounce",
    "spam": "spam complaint",
}
CLICKS = {"click"}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _authorised(request: HttpRequest) -> bool:
    secret = settings.GARDIEN_BREVO_WEBHOOK_SECRET
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if not secret or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer ") :].encode(), secret.encode())


def _when(event: dict[str, Any]) -> dt.datetime | None:
    stamp = event.get("ts_event", event.get("ts"))
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    try:
        return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _digest(event: dict[str, Any]) -> str:
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _valid(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("event"), str)
        and isinstance(event.get("email"), str)
        and 3 <= len(event["email"]) <= 254
        and "@" in event["email"]
        and _when(event) is not None
    )


@csrf_exempt
@require_POST
def brevo(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        return _error(
            401,
            "unauthorised",
            "Configure the webhook in Brevo with the bearer token of GARDIEN_BREVO_WEBHOOK_SECRET.",
        )
    try:
        too_large = int(request.META.get("CONTENT_LENGTH") or 0) > BODY_LIMIT
    except ValueError:
        too_large = True
    if too_large:
        return _error(413, "too_large", "The body is larger than Brevo's webhooks send.")
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: deep nesting
        return _error(400, "malformed_json", "Send Brevo's event as JSON.")
    events = body if isinstance(body, list) else [body]
    if not events or len(events) > MAX_EVENTS or not all(_valid(e) for e in events):
        return _error(
            400,
            "malformed_event",
            'Each event needs "event", "email" and "ts_event" as Brevo sends them.',
        )
    now = clock.now()
    if any(_when(e) - now > EVENT_MAX_SKEW for e in events):  # type: ignore[operator]
        return _error(400, "from_the_future", "An event is dated later than now; check the clocks.")
    fresh = [e for e in events if now - _when(e) <= EVENT_MAX_AGE]  # type: ignore[operator]
    if not fresh:
        return _error(409, "too_old", "The event is older than Gardien accepts; nothing changed.")
    with transaction.atomic():
        outcomes = [_apply(event, now) for event in fresh]
    replayed = outcomes.count(None)
    if replayed == len(fresh):
        return _error(409, "replayed", "This event was already applied; nothing changed.")
    return JsonResponse(
        {
            "applied": outcomes.count(True),
            "received": len(events),
            "replayed": replayed,
            "too_old": len(events) - len(fresh),
        }
    )


def _apply(event: dict[str, Any], now: dt.datetime) -> bool | None:
    """Apply one event: True if it changed something, None if it was already applied."""
    when = _when(event)
    assert when is not None  # _valid
    try:
        with transaction.atomic():
            # Remembered until EVENT_MAX_AGE after the later of its date and its receipt, so
            # that no replay is accepted (as fresh) once it is forgotten.
            WebhookEvent.objects.create(digest=_digest(event), received_at=max(now, when))
    except IntegrityError:
        return None
    kind = event["event"]
    if kind in ENDINGS:
        person = vault.find_person(event["email"])
        if person is None:
            return False
        return services.withdraw(person, how=ENDINGS[kind], actor=Actor.system())
    if kind in CLICKS:
        return services.touch_by_email(event["email"], min(when, now))
    return False
