from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from gardien.policy import document
from gardien.policy import services as policy
from gardien.policy.diffing import compare


def _render_policy(
    request: HttpRequest, version: policy.Published, latest: policy.Published
) -> HttpResponse:
    from gardien.policy.changes import latest_notice

    current = version.number == latest.number
    context = {
        "doc": document.build(version.manifest, request.LANGUAGE_CODE),
        "version": version,
        "current": current,
        "latest": latest,
        "changes": latest_notice(request.LANGUAGE_CODE) if current else None,
    }
    return render(request, "policy/page.html", context)


def _unpublished(request: HttpRequest) -> HttpResponse:
    return render(request, "policy/unpublished.html", status=503)


@require_safe
def policy_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    latest = policy.published()
    if latest is None:
        return _unpublished(request)
    return _render_policy(request, latest, latest)


@require_safe
def version_page(request: HttpRequest, number: int, lang: str | None = None) -> HttpResponse:
    version = policy.version(number)
    latest = policy.published()
    if version is None or latest is None:
        raise Http404
    return _render_policy(request, version, latest)


@require_safe
def history(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    versions = policy.history()
    if not versions:
        return _unpublished(request)
    return render(request, "policy/history.html", {"versions": versions})


def _version_number(raw: str | None) -> int | None:
    if raw is None or not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
        return None
    return int(raw.strip())


@require_safe
def diff(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    old_number = _version_number(request.GET.get("from"))
    new_number = _version_number(request.GET.get("to"))
    if old_number is None or new_number is None:
        message = _("Choose the two versions to compare from the list of versions.")
        return HttpResponseBadRequest(
            render_to_string("policy/error.html", {"message": message}, request=request)
        )
    old, new = policy.version(old_number), policy.version(new_number)
    if old is None or new is None:
        raise Http404
    language = request.LANGUAGE_CODE
    rows = compare(
        document.text_lines(document.build(old.manifest, language), request),
        document.text_lines(document.build(new.manifest, language), request),
    )
    return render(
        request,
        "policy/diff.html",
        {
            "old": old,
            "new": new,
            "rows": rows,
            "changed": any(r.kind in ("added", "removed") for r in rows),
        },
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)
