"""``GET /api/challenge``: a fresh proof-of-work challenge for a form about to be sent."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from gardien.antispam import challenge as challenges
from gardien.security import origin_allowed


@require_safe
def challenge(request: HttpRequest) -> JsonResponse:
    if settings.GARDIEN_ALTCHA:
        response = JsonResponse(challenges.issue())
    else:
        response = JsonResponse(
            {
                "error": "switched_off",
                "message": "The proof-of-work challenge is switched off "
                "(GARDIEN_ALTCHA=false); forms are accepted without it.",
            },
            status=404,
        )
    # Each challenge is good for one submission: no cache may hand it out twice.
    response["Cache-Control"] = "no-store"
    # Forms embedded in the organisation's site fetch it from their own origin.
    origin = request.headers.get("Origin", "")
    if origin and origin_allowed(origin):
        response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ("Origin",))
    return response
