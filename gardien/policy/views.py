from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from gardien.policy import document
from gardien.policy.diffing import compare
from gardien.policy.models import PolicyVersion
from gardien.policy.services import latest_version


def _render_policy(request: HttpRequest, version: PolicyVersion, current: bool) -> HttpResponse:
    doc = document.build(version.load(), request.LANGUAGE_CODE)
    context = {
        "doc": doc,
        "version": version,
        "current": current,
        "latest": version if current else latest_version(),
    }
    return render(request, "policy/page.html", context)


def _unpublished(request: HttpRequest) -> HttpResponse:
    return render(request, "policy/unpublished.html", status=503)


@require_safe
def policy_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    version = latest_version()
    if version is None:
        return _unpublished(request)
    return _render_policy(request, version, current=True)


@require_safe
def version_page(request: HttpRequest, number: int, lang: str | None = None) -> HttpResponse:
    version = PolicyVersion.objects.filter(number=number).first()
    if version is None:
        raise Http404
    latest = latest_version()
    return _render_policy(request, version, current=latest is not None and latest.pk == version.pk)


@require_safe
def history(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    versions = list(
        PolicyVersion.objects.order_by("-number").only("number", "published_at", "note")
    )
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
    versions = {
        v.number: v for v in PolicyVersion.objects.filter(number__in=[old_number, new_number])
    }
    if old_number not in versions or new_number not in versions:
        raise Http404
    old, new = versions[old_number], versions[new_number]
    language = request.LANGUAGE_CODE
    rows = compare(
        document.text_lines(document.build(old.load(), language), request),
        document.text_lines(document.build(new.load(), language), request),
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
