"""The contact form over HTTP: the hosted page (``/contact/``, also the target of the
embedded snippet) and ``POST /api/contact``. Both hand the submission to
:func:`gardien.contact.services.receive`; anti-spam comes first (gardien.antispam)."""

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
from gardien.contact import notice, services
from gardien.lib import jsonapi
from gardien.policy import forms as declared_forms
from gardien.policy import services as policy
from gardien.security import state_changing

SCOPE = "contact"


def _page_context(request: HttpRequest, lang: str, form: Any = None) -> dict[str, Any] | None:
    found = services.contact_activity()
    current = policy.published()
    if found is None or current is None:
        return None
    _version, activity = found
    return {
        **notice.notice_context(current.manifest, lang),
        "form": form if form is not None else services.form(activity, lang),
        "altcha": settings.GARDIEN_ALTCHA,
        "issued": antispam.issued_token(),
        "challenge_url": reverse("antispam-challenge"),
    }


def _no_form(request: HttpRequest) -> HttpResponse:
    return render(request, "contact/none.html", status=404)


# CSRF-exempt for the middleware, which would refuse the snippet's POST from the
# organisation's site (no token there): every POST and OPTIONS goes to _submit_page, whose
# @state_changing accepts an allowed Origin and checks the CSRF token of any other request.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST", "OPTIONS"])
def contact_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    if request.method in ("POST", "OPTIONS"):
        return _submit_page(request, lang)
    context = _page_context(request, jsonapi.language(request))
    if context is None:
        return _no_form(request)
    return render(request, "contact/form.html", context)


@state_changing
def _submit_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    found = services.contact_activity()
    if found is None:
        return _no_form(request)
    if jsonapi.too_large(request, services.max_body(found[1])):  # before the body is read
        return render(
            request,
            "contact/error.html",
            {"message": _("The form is larger than this form allows; shorten your message.")},
            status=413,
        )
    language = jsonapi.language(request, request.POST.get("lang"))
    request.LANGUAGE_CODE = language
    with translation.override(language):
        return _answer_page(request, found[1], language, request.POST.dict())


def _answer_page(
    request: HttpRequest, activity: Any, language: str, data: dict[str, str]
) -> HttpResponse:
    age = antispam.seconds_since_issued(request, data)
    refusal = antispam.check(request, data, SCOPE, challenge_required=not antispam.human_speed(age))
    if refusal is not None and refusal.code == "challenge_missing" and age is not None:
        # The hosted page without JavaScript, sent faster than a person fills it in.
        refusal = replace(
            refusal,
            message=antispam.too_fast_message(),
        )
    if refusal is not None and refusal.honeypot:
        return render(request, "contact/thanks.html", notice_for_decoy(request, language))
    outcome = (
        services.receive(data, language, also=partial(antispam.accepted, request, SCOPE))
        if refusal is None
        else None
    )
    if isinstance(outcome, services.Received):
        return render(
            request, "contact/thanks.html", notice.acknowledgement_context(outcome.message)
        )
    problem: services.Refused | antispam.Refusal = refusal or outcome  # type: ignore[assignment]
    context = _page_context(request, language, _bound_form(activity, language, data, outcome))
    assert context is not None
    context["problem"] = problem.message
    response = render(request, "contact/form.html", context, status=problem.status)
    if refusal is not None and refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _bound_form(
    activity: Any, lang: str, data: dict[str, str], outcome: services.Refused | None
) -> Any:
    """The form again with what the visitor typed, and the field errors if any: nothing lost."""
    values = {k: v for k, v in data.items() if k not in declared_forms.TRANSPORT_FIELDS}
    form = services.form(activity, lang, data=values)
    if outcome is None:  # refused before validation (anti-spam): show values without errors
        form = services.form(activity, lang, initial=values)
    return form


def notice_for_decoy(request: HttpRequest, lang: str) -> dict[str, Any]:
    """What a filled honeypot is shown: the same page as a success, with nothing kept."""
    current = policy.published()
    assert current is not None
    return {**notice.notice_context(current.manifest, lang), "decoy": True}


@state_changing
def api_contact(request: HttpRequest) -> HttpResponse:
    """POST /api/contact: one message as a JSON object of the form's fields (docs/contact.md)."""
    found = services.contact_activity()
    if found is None and request.method == "POST":
        return jsonapi.error(404, "no_contact_form", "This site has no contact form.")
    data = jsonapi.read_object(
        request, limit=services.max_body(found[1]) if found else 0, what="the message"
    )
    if isinstance(data, HttpResponse):
        return data
    language = jsonapi.language(request, data.get("lang"))
    with translation.override(language):
        form_data = data
        refusal = antispam.check(request, _text_only(form_data), SCOPE)
        if refusal is not None and refusal.honeypot:
            return JsonResponse({"reference": None, "message": _acknowledged()}, status=201)
        if refusal is not None:
            return jsonapi.refusal(refusal)
        outcome = services.receive(
            form_data, language, also=partial(antispam.accepted, request, SCOPE)
        )
        if isinstance(outcome, services.Refused):
            return jsonapi.refusal(outcome)
        return JsonResponse(
            {"reference": outcome.message.reference, "message": _acknowledged()}, status=201
        )


def _text_only(data: dict[str, object]) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _acknowledged() -> str:
    return _("Your message has been received; we will answer you by email.")
