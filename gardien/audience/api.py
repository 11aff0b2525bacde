"""``POST /api/audience``: one page view, sent by the beacon of an organisation's site.

The contract (docs/audience.md, "API"): a JSON body of at most ``MAX_BODY`` bytes with
exactly the keys ``url``, ``referrer``, ``screen``, ``lang`` and ``visitor``; the answer is
204 with no body, whether the view was stored or dropped (a robot, a reload), so a client
learns nothing from it. What is stored is reduced here, before anything is written: the
page's host and path, with only the query parameters the published manifest names; the
referring site's host name; the screen class and language; the visitor's random
identifier only when the manifest counts unique visitors.

The client's address is used in memory only, under a keyed hash that changes with every
process (``gardien.consent.throttle.address_key``): to count a page view repeated within a
few seconds once, and to limit a flood. It is never stored nor logged.

Served on the lean WSGI path (gardien/wsgi.py): no cookie, no session, JSON or nothing.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, JsonResponse

from gardien.antispam.rates import parse_rate_limit
from gardien.audience import batch
from gardien.audience.models import HOST_LENGTH, PATH_LENGTH, Screen
from gardien.backoffice.throttle import client_ip
from gardien.consent.throttle import Buckets, address_key
from gardien.lib import clock
from gardien.manifest.schema import Audience
from gardien.policy import services as policy
from gardien.security import allowed_origins, state_changing

MAX_BODY = 1024
KEYS = frozenset({"url", "referrer", "screen", "lang", "visitor"})
SCREENS = frozenset(Screen.values)
LANG = re.compile(r"[a-z]{2}")
VISITOR = re.compile(r"[A-Za-z0-9_-]{22}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: User agents of robots, crawlers, previews, monitors and scripts: dropped without a word.
ROBOTS = re.compile(
    r"bot|crawl|spider|slurp|headless|lighthouse|preview|curl|wget|python|httpclient|"
    r"http-client|okhttp|java/|libwww|scrapy|phantomjs|selenium|puppeteer|playwright|"
    r"facebookexternalhit|embedly|monitor|uptime|pingdom|feedfetcher|archiver",
    re.IGNORECASE,
)
#: How many recent page views are remembered to recognise a repeat (the oldest forgotten).
MAX_RECENT = 50_000


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JsonResponse:
        return JsonResponse({"error": self.code, "message": self.message}, status=self.status)


@state_changing
def api_audience(request: HttpRequest) -> HttpResponse:
    """POST /api/audience: count one page view (docs/audience.md)."""
    response = answer(request)
    return HttpResponse(status=204) if response is None else response


def answer(request: HttpRequest) -> HttpResponse | None:
    """The answer to a page view from an allowed origin, or None for the plain 204 (stored
    or dropped): gardien/wsgi.py sends that one with headers built once, not per view."""
    try:
        return _collect(request)
    except Refused as refused:
        return _refusal(refused)


def count(
    *,
    origin: str,
    agent: str,
    address: str,
    length: int,
    body: bytes,
    site_origins: frozenset[str],
) -> HttpResponse | None:
    """As :func:`answer`, for the usual page view read straight from the WSGI environ by
    gardien/wsgi.py: a POST of JSON (``Content-Type: application/json``) from ``origin``,
    one of ``site_origins`` (``gardien.security.allowed_origins``, asked once for the
    request). ``length`` is the declared Content-Length, ``body`` what was read of it
    (nothing when it is above ``MAX_BODY``)."""
    try:
        return _count(_audience(), origin, agent, address, length, lambda: body, site_origins)
    except Refused as refused:
        return _refusal(refused)


def _refusal(refused: Refused) -> JsonResponse:
    response = refused.response()
    if refused.status == 405:
        response["Allow"] = "POST, OPTIONS"
    return response


def _collect(request: HttpRequest) -> HttpResponse | None:
    if request.method != "POST":
        raise Refused(405, "method_not_allowed", "Send the page view with POST.")
    audience = _audience()
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if request.content_type != "application/json" or charset not in ("utf-8", "utf8"):
        raise Refused(
            415, "unsupported_media_type", "Send the page view as Content-Type: application/json."
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return _count(
        audience,
        request.META.get("HTTP_ORIGIN", ""),
        request.META.get("HTTP_USER_AGENT", "") or "",
        client_ip(request),
        length,
        lambda: request.body,
        allowed_origins(),
    )


def _audience() -> Audience:
    manifest = policy.published_manifest()
    audience = manifest.audience if manifest is not None else None
    if audience is None:
        raise Refused(
            404,
            "audience_off",
            "Audience measurement is not switched on: the published manifest has no "
            "[audience] section.",
        )
    return audience


def _count(
    audience: Audience,
    origin: str,
    agent: str,
    address: str,
    length: int,
    read: Callable[[], bytes],
    site_origins: frozenset[str],
) -> HttpResponse | None:
    if is_robot(agent):
        return None
    key = address_key(address)
    wait = _limit().take(key, time.monotonic())
    if wait:
        seconds = math.ceil(wait)
        response = JsonResponse(
            {
                "error": "too_many_requests",
                "message": f"Too many page views from this address; wait {seconds} seconds.",
            },
            status=429,
        )
        response["Retry-After"] = str(seconds)
        response["Access-Control-Expose-Headers"] = "Retry-After"
        return response
    if length > MAX_BODY:
        raise Refused(413, "too_large", f"The body is larger than {MAX_BODY} bytes.")
    row = page_view(_parse(read()), audience, origin=origin, site_origins=site_origins)
    if _recent.seen(key, f"{row.site}{row.path}", time.monotonic()):
        return None
    try:
        batch.write(row)
    except batch.NotStored:
        return JsonResponse(
            {"error": "unavailable", "message": "The page view could not be stored."},
            status=503,
        )
    return None


#: User agents already seen, and whether each is a robot's: ``ROBOTS`` costs more than the
#: rest of a page view's checks, and a site's visitors use a few hundred browsers. Kept in
#: memory only, and forgotten all at once when full.
_agents: dict[str, bool] = {}
MAX_AGENTS = 1000


def is_robot(agent: str) -> bool:
    """Whether a user agent is a robot's (an empty one is)."""
    verdict = _agents.get(agent)
    if verdict is None:
        verdict = ROBOTS.search(agent or "robot") is not None
        if len(_agents) >= MAX_AGENTS:
            _agents.clear()
        _agents[agent] = verdict
    return verdict


def _parse(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY:
        raise Refused(413, "too_large", f"The body is larger than {MAX_BODY} bytes.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, "invalid_json", "The body is not JSON.") from None
    if not isinstance(body, dict) or set(body) != KEYS:
        raise Refused(
            400,
            "invalid_body",
            "The body is an object with exactly the keys url, referrer, screen, lang and visitor.",
        )
    return body


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or CONTROL.search(value):
        raise Refused(400, "invalid_" + name, f"{name} is a text without control characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(400, "invalid_" + name, f"{name} is not valid Unicode text.") from None
    return value


def page_view(
    body: dict[str, Any], audience: Audience, *, origin: str, site_origins: frozenset[str]
) -> batch.Row:
    """The row to store for a valid body, reduced to what the statistics need."""
    url = _text(body["url"], "url")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise Refused(400, "invalid_url", "url is the page's address.") from None
    page_origin = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.scheme not in ("http", "https") or not host:
        raise Refused(400, "invalid_url", "url is the page's address (http or https).")
    if page_origin != origin or page_origin not in site_origins:
        raise Refused(
            403,
            "forbidden",
            "The page is not on an allowed site, or not on the site that sent it; allow its "
            "origin with `gardien site add-origin` or in the back office (Site settings).",
        )
    path = parts.path or "/"
    if parts.query:
        kept = [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name in audience.query_parameters
        ]
        if kept:
            path += "?" + urlencode(kept)
    if not path.startswith("/") or len(path) > PATH_LENGTH:
        raise Refused(400, "invalid_url", f"The page's path is at most {PATH_LENGTH} characters.")
    referrer, entry = _referrer(_text(body["referrer"], "referrer"), host, site_origins)
    screen = body["screen"]
    if not isinstance(screen, str) or screen not in SCREENS:
        raise Refused(400, "invalid_screen", "screen is mobile, tablet or desktop.")
    lang = body["lang"]
    if not isinstance(lang, str) or (lang and not LANG.fullmatch(lang)):
        raise Refused(400, "invalid_lang", 'lang is two lower-case letters, or "".')
    visitor = body["visitor"]
    if visitor is not None and not (isinstance(visitor, str) and VISITOR.fullmatch(visitor)):
        raise Refused(400, "invalid_visitor", "visitor is null or 22 URL-safe characters.")
    return batch.Row(
        viewed_at=clock.now(),
        site=host[:HOST_LENGTH],
        path=path,
        referrer=referrer,
        screen=screen,
        lang=lang,
        entry=entry,
        # Without unique visitors, an identifier a browser still holds (the manifest changed
        # since) is dropped, not refused: the view still counts, the identifier never does.
        visitor=(visitor or "") if audience.unique_visitors else "",
    )


def _referrer(referrer: str, host: str, site_origins: frozenset[str]) -> tuple[str, bool]:
    """The referring site's host name ("" for none or the site itself), and whether the
    view starts a visit (it did not come from another page of the site)."""
    if not referrer:
        return "", True
    try:
        parts = urlsplit(referrer)
        found = (parts.hostname or "").rstrip(".")
    except ValueError:
        return "", True
    if found == host or f"{parts.scheme}://{parts.netloc}".lower() in site_origins:
        return "", False
    if len(found) > HOST_LENGTH:
        return "", True
    return found, True


@lru_cache(maxsize=4)
def _buckets(limit: str) -> Buckets:
    rate = parse_rate_limit(limit, "GARDIEN_AUDIENCE_RATE_LIMIT")
    return Buckets(rate.submissions, rate.submissions / rate.period.total_seconds())


def _limit() -> Buckets:
    return _buckets(settings.GARDIEN_AUDIENCE_RATE_LIMIT)


class Recent:
    """The page views of the last seconds, by a keyed hash of address and page, bounded."""

    def __init__(self, size: int = MAX_RECENT) -> None:
        self.size = size
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def seen(self, address: bytes, page: str, now: float) -> bool:
        """Whether this address viewed this page within the window; remember it if not."""
        window = settings.GARDIEN_AUDIENCE_REPEAT_SECONDS
        key = hmac.digest(address, page.encode("utf-8"), "sha256")[:16]
        with self._lock:
            then = self._seen.pop(key, None)
            if then is not None and now - then < window:
                self._seen[key] = then  # the window counts from the view that was stored
                return True
            self._seen[key] = now
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return False


_recent = Recent()


def forget(**kwargs: object) -> None:
    """Start the limits and the recent views afresh (a test overrode a setting)."""
    _buckets.cache_clear()
    _agents.clear()
    with _recent._lock:
        _recent._seen.clear()


setting_changed.connect(forget, dispatch_uid="gardien.audience.api.forget")
