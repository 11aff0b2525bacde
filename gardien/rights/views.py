"""The rights request pages: the hosted form (``/rights/``, no JavaScript needed), the
verification link and the download link of the emails. Anti-spam as the contact form."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gardien.antispam import services as antispam
from gardien.lib import jsonapi
from gardien.policy import forms as declared_forms
from gardien.policy import notice
from gardien.policy import services as policy
from gardien.rights import fulfil, services
from gardien.rights.models import ACTIVITY

SCOPE = "rights"


def _context(lang: str, form: Any = None) -> dict[str, Any] | None:
    current = policy.published()
    found = services._published()
    if current is None or found is None:
        return None
    manifest = current.manifest
    return {
        **notice.notice_context(manifest, lang, ACTIVITY),
        "form": form if form is not None else services.form(found[2], lang),
        "what_to_include": manifest.rights.what_to_include.get(lang),
        "identity_proof": manifest.rights.identity_proof.get(lang),
        "altcha": settings.GARDIEN_ALTCHA,
        "issued": antispam.issued_token(),
        "challenge_url": reverse("antispam-challenge"),
    }


def _none(request: HttpRequest) -> HttpResponse:
    return render(request, "rights/none.html", status=404)


@require_http_methods(["GET", "HEAD", "POST"])
def rights_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    """The hosted form; its POST comes from this page only (CSRF-checked)."""
    language = jsonapi.language(request, lang if request.method != "POST" else None)
    if request.method == "POST":
        language = jsonapi.language(request, request.POST.get("lang"))
        if jsonapi.too_large(request, services.BODY_LIMIT):
            return render(
                request,
                "rights/error.html",
                {"message": _("The form is larger than this form allows; shorten your text.")},
                status=413,
            )
    request.LANGUAGE_CODE = language
    with translation.override(language):
        context = _context(language)
        if context is None:
            return _none(request)
        if request.method != "POST":
            return render(request, "rights/form.html", context)
        return _answer(request, language, request.POST)


def _answer(request: HttpRequest, language: str, post: Any) -> HttpResponse:
    data = {k: post.getlist(k) if k == services.RIGHTS_FIELD else post.get(k) for k in post}
    text = {k: v for k, v in data.items() if isinstance(v, str)}
    age = antispam.seconds_since_issued(request, text)
    refusal = antispam.check(request, text, SCOPE, challenge_required=not antispam.human_speed(age))
    if refusal is not None and refusal.code == "challenge_missing" and age is not None:
        refusal = replace(refusal, message=antispam.too_fast_message())
    if refusal is not None and refusal.honeypot:
        return render(
            request, "rights/received.html", {**(_context(language) or {}), "decoy": True}
        )
    outcome = (
        services.receive(
            {k: v for k, v in data.items() if k not in declared_forms.TRANSPORT_FIELDS},
            language,
            also=partial(antispam.accepted, request, SCOPE),
        )
        if refusal is None
        else None
    )
    if isinstance(outcome, services.Received):
        return render(
            request,
            "rights/received.html",
            {
                **(_context(language) or {}),
                "rights_request": outcome.request,
                "due": formats.date_format(
                    timezone.localtime(outcome.request.due_at), "DATE_FORMAT"
                ),
            },
        )
    problem: Any = refusal or outcome
    found = services._published()
    assert found is not None
    values = {k: v for k, v in data.items() if k not in declared_forms.TRANSPORT_FIELDS}
    bound = (
        services.form(found[2], language, data=values)
        if outcome is not None
        else services.form(found[2], language, initial=values)
    )
    if outcome is not None:
        bound.is_valid()
    context = _context(language, bound)
    assert context is not None
    context["problem"] = problem.message
    response = render(request, "rights/form.html", context, status=problem.status)
    if refusal is not None and refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def verify_page(request: HttpRequest, token: str, lang: str | None = None) -> HttpResponse:
    """GET shows one button and changes nothing (mail scanners open links); POST verifies."""
    language = jsonapi.language(request, lang)
    with translation.override(language):
        context = _context(language) or {}
        if request.method == "POST":
            verified = services.verify(token)
            if verified is None:
                return render(request, "rights/link_invalid.html", context, status=404)
            return render(request, "rights/verified.html", {**context, "rights_request": verified})
        if services.pending_verification(token) is None:
            return render(request, "rights/link_invalid.html", context, status=404)
        response = render(request, "rights/verify.html", context)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


@require_http_methods(["GET", "HEAD", "POST"])
def download_page(request: HttpRequest, token: str, lang: str | None = None) -> HttpResponse:
    """GET shows one button (a link scanner must not use up the single-use link); POST
    delivers the package once."""
    language = jsonapi.language(request, lang)
    with translation.override(language):
        context = _context(language) or {}
        if request.method == "POST":
            found = fulfil.download(token)
            if found is None:
                return render(request, "rights/link_invalid.html", context, status=404)
            name, body = found
            response = HttpResponse(body, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "no-store"
            return response
        if fulfil.link_for(token) is None:
            return render(request, "rights/link_invalid.html", context, status=404)
        response = render(request, "rights/download.html", context)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
