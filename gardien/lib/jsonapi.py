"""What every public JSON endpoint of a form does before its own work (the contact form's
and the newsletter's APIs): POST only, a JSON object in UTF-8 under a size limit, the
visitor's language, and refusals as ``{"error": code, "message": sentence}``.

    body = jsonapi.read_object(request, limit=16_384, what="the sign-up")
    if isinstance(body, HttpResponse):
        return body          # 405, 413, 415 or 400, with a sentence saying what to do
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from gardien.manifest import wording as say
from gardien.middleware import language_from_header


def error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def refusal(outcome: Any) -> JsonResponse:
    """A service's or the anti-spam's refusal (status, code, message, fields, retry_after)."""
    extra = {"fields": outcome.fields} if getattr(outcome, "fields", None) else {}
    response = error(outcome.status, outcome.code, outcome.message, **extra)
    if getattr(outcome, "retry_after", None):
        response["Retry-After"] = str(outcome.retry_after)
    return response


def too_large(request: HttpRequest, limit: int) -> bool:
    """Whether the declared body is over ``limit`` bytes (asked before the body is read)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return True


def language(request: HttpRequest, requested: object = None) -> str:
    """The language asked for in the submission, else the page's, else the browser's (the
    APIs are on the lean WSGI path, where no middleware sets one)."""
    if isinstance(requested, str) and requested in say.LANGUAGES:
        return requested
    page = getattr(request, "LANGUAGE_CODE", None)
    return page or language_from_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))


def read_object(request: HttpRequest, *, limit: int, what: str) -> dict[str, Any] | HttpResponse:
    """The request's JSON object, or the response refusing it (``what`` names the body)."""
    if request.method != "POST":
        response = error(405, "method_not_allowed", f"Send {what} with POST.")
        response["Allow"] = "POST, OPTIONS"
        return response
    if request.content_type != "application/json":
        return error(
            415, "unsupported_media_type", f"Send {what} as Content-Type: application/json."
        )
    if too_large(request, limit):
        return error(413, "too_large", f"The body is larger than {what} can be; send less.")
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        return error(400, "malformed_json", "Send a JSON object encoded in UTF-8.")
    return {k: v for k, v in data.items() if isinstance(k, str)}
