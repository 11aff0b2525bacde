"""The newsletter over HTTP: the hosted sign-up page (``/newsletter/``, also the target of the
embedded snippet), ``POST /api/newsletter/subscribe``, the confirmation link, the unsubscribe
link (RFC 8058 one-click), and the processor's webhook. Anti-spam comes first, as for the
contact form (gardien.antispam)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from gardien.antispam import services as antispam
from gardien.lib import jsonapi
from gardien.newsletter import services
from gardien.policy import notice
from gardien.security import state_changing

SCOPE = "newsletter"


def _too_large(request: HttpRequest) -> bool:
    return jsonapi.too_large(request, services.BODY_LIMIT)


def _notice(found: services.Setup, lang: str) -> dict[str, Any]:
    return {
        **notice.notice_context(found.manifest, lang, services.ACTIVITY),
        "statement": found.statement(lang),
        "processor": (
            found.manifest.processor(found.section.processor).name
            if found.section.processor
            else None
        ),
    }


def _page(request: HttpRequest, lang: str, form: Any = None, problem: Any = None) -> HttpResponse:
    found = services.setup()
    if found is None:
        return render(request, "newsletter/none.html", status=404)
    context = {
        **_notice(found, lang),
        "form": form if form is not None else services.signup_form(found, lang),
        "altcha": settings.GARDIEN_ALTCHA,
        "issued": antispam.issued_token(),
        "challenge_url": reverse("antispam-challenge"),
        "problem": problem.message if problem is not None else "",
    }
    response = render(
        request, "newsletter/form.html", context, status=problem.status if problem else 200
    )
    if getattr(problem, "retry_after", None):
        response["Retry-After"] = str(problem.retry_after)
    return response


def _source(request: HttpRequest, kind: str) -> str:
    origin = request.META.get("HTTP_ORIGIN", "")
    own = request.build_absolute_uri("/").rstrip("/")
    if kind == "page" and origin and origin != own:
        return f"snippet {origin}"
    return f"{kind} {origin}".strip() if kind == "api" else kind


# CSRF-exempt for the middleware (the snippet posts from the organisation's site without a
# token): every POST goes through @state_changing, which accepts an allowed Origin and checks
# the CSRF token of any other request.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST", "OPTIONS"])
def newsletter_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    if request.method in ("POST", "OPTIONS"):
        return _submit_page(request, lang)
    return _page(request, jsonapi.language(request))


@state_changing
def _submit_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    found = services.setup()
    if found is None:
        return render(request, "newsletter/none.html", status=404)
    if _too_large(request):
        return render(
            request,
            "newsletter/none.html",
            {"message": _("The form is larger than a sign-up can be; send only your address.")},
            status=413,
        )
    language = jsonapi.language(request, request.POST.get("lang"))
    request.LANGUAGE_CODE = language
    with translation.override(language):
        data = request.POST.dict()
        age = antispam.seconds_since_issued(request, data)
        refusal = antispam.check(
            request, data, SCOPE, challenge_required=not antispam.human_speed(age)
        )
        if refusal is not None and refusal.code == "challenge_missing" and age is not None:
            # The hosted page without JavaScript, sent faster than a person fills it in.
            refusal = replace(refusal, message=antispam.too_fast_message())
        if refusal is not None and refusal.honeypot:
            return _sent(request, found, language)
        outcome = (
            services.subscribe(
                data,
                language,
                _source(request, "page"),
                also=partial(antispam.accepted, request, SCOPE),
            )
            if refusal is None
            else None
        )
        if isinstance(outcome, services.Accepted):
            return _sent(request, found, language)
        problem: Any = refusal or outcome
        if refusal is not None:  # refused before validation: the address again, no errors
            form = services.signup_form(found, language)
            form.initial = {found.email_field: data.get(found.email_field, "")}
        else:
            form = services.signup_form(found, language, data=data)
        return _page(request, language, form, problem)


def _sent(request: HttpRequest, found: services.Setup, lang: str) -> HttpResponse:
    """The one answer to every accepted sign-up, whatever the address's state."""
    return render(request, "newsletter/sent.html", _notice(found, lang))


# --- the API ----------------------------------------------------------------------------


def _accepted_message() -> str:
    return _(
        "Thank you. If this address can be subscribed, a link to confirm it is on its way: "
        "open it to finish. Nothing is sent to you before you confirm."
    )


@state_changing
def api_subscribe(request: HttpRequest) -> HttpResponse:
    """POST /api/newsletter/subscribe: {"email": …, "newsletter_consent": true} (docs)."""
    if request.method == "POST" and services.setup() is None:
        return jsonapi.error(404, "no_newsletter", "This site has no newsletter.")
    data = jsonapi.read_object(request, limit=services.BODY_LIMIT, what="the sign-up")
    if isinstance(data, HttpResponse):
        return data
    language = jsonapi.language(request, data.get("lang"))
    with translation.override(language):
        text = {k: v for k, v in data.items() if isinstance(v, str)}
        refusal = antispam.check(request, text, SCOPE)
        if refusal is not None and refusal.honeypot:
            return JsonResponse({"message": _accepted_message()}, status=202)
        if refusal is not None:
            return jsonapi.refusal(refusal)
        outcome = services.subscribe(
            data,
            language,
            _source(request, "api"),
            also=partial(antispam.accepted, request, SCOPE),
        )
        if isinstance(outcome, services.Refused):
            return jsonapi.refusal(outcome)
        return JsonResponse({"message": _accepted_message()}, status=202)


# --- the links in the emails ------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def confirm_page(request: HttpRequest, token: str, lang: str | None = None) -> HttpResponse:
    """GET shows one button and changes nothing (mail scanners open links); POST confirms
    and shows the welcome page at once."""
    found = services.setup()
    language = jsonapi.language(request, lang)
    if found is None:
        return render(request, "newsletter/none.html", status=404)
    context = _notice(found, language)
    if request.method == "POST":
        subscription = services.confirm(token)
        if subscription is None:
            return render(request, "newsletter/link_invalid.html", context, status=404)
        return render(request, "newsletter/welcome.html", context)
    if services.pending_for(token) is None:
        return render(request, "newsletter/link_invalid.html", context, status=404)
    response = render(request, "newsletter/confirm.html", context)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # the token is the proof; a mail client's one-click POST carries no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_page(request: HttpRequest, token: str, lang: str | None = None) -> HttpResponse:
    """GET shows a one-click button and changes nothing; POST (the button, or a mail
    client's ``List-Unsubscribe=One-Click``) unsubscribes at once and answers 200 without a
    redirect. Unknown, used and valid tokens get the same pages."""
    found = services.setup()
    language = jsonapi.language(request, lang)
    context = _notice(found, language) if found is not None else {}
    if request.method == "POST":
        if len(token) <= 100:
            services.unsubscribe(token, how=_how(request))
        response = render(request, "newsletter/unsubscribed.html", context)
    else:
        response = render(request, "newsletter/unsubscribe.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _how(request: HttpRequest) -> str:
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    return "one-click" if one_click else "link"
