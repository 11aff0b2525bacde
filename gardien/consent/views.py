"""Consent over HTTP: the banner's configuration, the consent API, the no-JavaScript page,
the cookie inventory and ``/.well-known/gpc.json``. The contract is docs/consent.md."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from gardien.consent import config, inventory, throttle
from gardien.consent import gpc as gpc_signal
from gardien.consent.models import ConsentAction
from gardien.consent.services import (
    MAX_BODY,
    ChoiceRefused,
    choice_cookie,
    parse_body,
    read_choice_cookie,
    record_choice,
)
from gardien.lib import clock
from gardien.policy import services as policy
from gardien.security import state_changing

CONFIG_MAX_AGE = 300


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _unpublished() -> JsonResponse:
    return _error(
        503,
        "unpublished",
        "No privacy policy is published yet; run “gardien policy publish”.",
    )


@state_changing
def api_consent(request: HttpRequest) -> HttpResponse:
    """POST /api/consent: record one choice (docs/consent.md)."""
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Send the choice with POST.")
        response["Allow"] = "POST, OPTIONS"
        return response
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if request.content_type != "application/json" or charset not in ("utf-8", "utf8"):
        return _error(
            415, "unsupported_media_type", "Send the choice as Content-Type: application/json."
        )
    wait = throttle.retry_after(request)
    if wait:
        response = _error(
            429,
            "too_many_requests",
            f"Too many choices from this address; send this one again in {wait} seconds.",
        )
        response["Retry-After"] = str(wait)
        response["Access-Control-Expose-Headers"] = "Retry-After"  # the banner waits that long
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    try:
        if length > MAX_BODY:
            raise ChoiceRefused(
                413, "too_large", f"The body is larger than {MAX_BODY} bytes; send only the choice."
            )
        record, _configuration, created = record_choice(parse_body(request.body))
    except ChoiceRefused as refused:
        return JsonResponse(refused.as_json(), status=refused.status)
    recorded_at = record.recorded_at.astimezone(dt.UTC)
    # A retry of a choice already recorded (same request_id) gets the same answer, as 200.
    return JsonResponse(
        {
            "consent_id": record.consent_id,
            "recorded_at": recorded_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "version": record.policy_version,
        },
        status=201 if created else 200,
    )


def _page_context(
    configuration: config.Configuration, checked: set[str], gpc: bool
) -> dict[str, Any]:
    document = configuration.document
    purposes = [
        {**purpose, "switch": purpose["consent"] in config.SWITCHED, "on": purpose["id"] in checked}
        for purpose in document["purposes"]
    ]
    return {
        "configuration": configuration,
        "text": document["text"],
        "purposes": purposes,
        "vendors": document["vendors"],
        "gpc": gpc,
    }


def _current_checked(
    saved: Mapping[str, Any] | None, configuration: config.Configuration, gpc: bool
) -> tuple[set[str], dict[str, Any] | None]:
    """What the boxes show: the visitor's saved choice if still valid, else the defaults."""
    if (
        saved is not None
        and saved["h"] == configuration.purposes_hash[:12]
        and clock.now().timestamp() - saved["d"] < configuration.choice_days * 86400
    ):
        made_at = dt.datetime.fromtimestamp(saved["d"], dt.UTC)
        return {p for p, on in saved["p"].items() if on}, {**saved, "made_at": made_at}
    if gpc:
        return set(), None
    # Exempt purposes are on until the visitor objects; consent is never pre-ticked.
    return {
        p["id"] for p in configuration.document["purposes"] if p["consent"] == "exempt_with_opt_out"
    }, None


@require_http_methods(["GET", "HEAD", "POST"])
def consent_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    """The cookie settings without JavaScript: a form, and its result with the consent id."""
    language = request.LANGUAGE_CODE
    configuration = config.current(language)
    if configuration is None:
        return render(request, "policy/unpublished.html", status=503)
    gpc = gpc_signal.signalled(request)
    cookie_choice = read_choice_cookie(request.COOKIES.get(config.COOKIE_NAME))
    checked, saved = _current_checked(cookie_choice, configuration, gpc)
    context = _page_context(configuration, checked, gpc)
    context["saved"] = saved
    response: HttpResponse
    if request.method == "POST":
        # A new choice continues the visitor's earlier ones, even an outdated one.
        earlier_id = cookie_choice["id"] if cookie_choice else None
        granted_before = checked if saved is not None else set()
        context, status, cookie = _save_from_form(
            request, configuration, gpc, earlier_id, granted_before, context
        )
        response = render(request, "consent/page.html", context, status=status)
        if cookie is not None:
            value, days = cookie
            response.set_cookie(
                config.COOKIE_NAME,
                value,
                max_age=days * 86400,
                path="/",
                samesite="Lax",
                secure=request.is_secure(),
            )
    else:
        response = render(request, "consent/page.html", context)
    patch_vary_headers(response, ("Sec-GPC", "Cookie"))
    response["Cache-Control"] = "private, no-store"
    return response


def _save_from_form(
    request: HttpRequest,
    configuration: config.Configuration,
    gpc: bool,
    earlier_id: str | None,
    granted_before: set[str],
    context: dict[str, Any],
) -> tuple[dict[str, Any], int, tuple[str, int] | None]:
    post = request.POST
    action = post.get("action", "")
    chosen = set(post.getlist("purpose"))
    try:
        version = int(post.get("version", ""))
    except ValueError:
        version = 0
    lang = post.get("lang", "")
    shown = config.configuration(version, lang) if lang in config.LANGUAGES else None
    switched = shown.switched if shown is not None else configuration.switched
    if action == ConsentAction.ACCEPT_ALL:
        decisions: dict[str, Any] = dict.fromkeys(switched, True)
    elif action == ConsentAction.REFUSE_ALL:
        decisions = dict.fromkeys(switched, False)
        # As the banner does: "Refuse all" after a consent was given is a withdrawal.
        if granted_before & (shown.required if shown is not None else frozenset()):
            action = ConsentAction.WITHDRAW
    else:
        decisions = {p: p in chosen for p in switched}
        # A box for a purpose that does not exist is refused by the same validation.
        decisions.update(dict.fromkeys(chosen - set(switched), True))
    payload = {
        "consent_id": earlier_id,
        "action": action,
        "decisions": decisions,
        "version": version,
        "config_hash": post.get("config_hash", ""),
        "lang": lang,
        "gpc": gpc,
    }
    try:
        record, used, _created = record_choice(payload)
    except ChoiceRefused as refused:
        if refused.status == 409:
            message = _(
                "The cookie settings changed while you were choosing. Check them again below "
                "and save your choice."
            )
        else:
            message = _("Your choice could not be saved: %(reason)s") % {"reason": refused.message}
        context["error"] = message
        return context, refused.status, None
    context.update(_page_context(configuration, set(), gpc))
    for purpose in context["purposes"]:
        purpose["on"] = bool(record.decisions.get(purpose["id"]))
    context["record"] = record
    context["saved"] = None
    return context, 200, (choice_cookie(record, used), used.choice_days)


def _inventory(lang: str) -> tuple[config.Configuration | None, dict[str, Any] | None]:
    configuration = config.current(lang)
    if configuration is None:
        return None, None
    return configuration, inventory.build(configuration.manifest, lang)


@require_safe
def inventory_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    configuration, listing = _inventory(request.LANGUAGE_CODE)
    if configuration is None or listing is None:
        return render(request, "policy/unpublished.html", status=503)
    return render(
        request,
        "consent/inventory.html",
        {"configuration": configuration, "inventory": listing},
    )


@require_safe
def inventory_json(request: HttpRequest) -> HttpResponse:
    configuration, listing = _inventory(request.LANGUAGE_CODE)
    if configuration is None or listing is None:
        return _unpublished()
    body = {
        "version": configuration.version,
        "published_at": timezone.localdate(configuration.published_at).isoformat(),
        **listing,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Cache-Control"] = f"public, max-age={CONFIG_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def gpc_json(request: HttpRequest) -> HttpResponse:
    """The Global Privacy Control support resource: Gardien honours the signal."""
    body: dict[str, Any] = {"gpc": True}
    current = policy.published()
    if current is not None:
        body["lastUpdate"] = timezone.localdate(current.published_at).isoformat()
    response = JsonResponse(body)
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
