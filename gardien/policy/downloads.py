"""The register's downloads in the back office: the published record of processing and
processor registry as PDF, CSV or JSON, for whoever may read the register page.

``/admin/register/download/?format=pdf|csv|json|html&language=fr|en`` and, for CSV,
``&what=activities|processors&separator=semicolon|comma``. Each download is audited (who,
which version, which format); the file is made by :func:`gardien.policy.register.export`,
as ``gardien register export`` makes it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.backoffice.site import add_page
from gardien.lib import pdf
from gardien.lib.spreadsheet import SEPARATORS
from gardien.manifest import wording as say
from gardien.policy import register
from gardien.policy import services as policy


def _sentence(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def download_register(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    # The same permission as the register page: whoever reads it may take it away.
    if not request.user.has_perm("policy.view_policyversion"):
        raise PermissionDenied
    fmt = request.GET.get("format", "pdf")
    what = request.GET.get("what", "activities")
    separator = request.GET.get("separator", "semicolon")
    language = request.GET.get("language", request.LANGUAGE_CODE)
    if (
        fmt not in register.FORMATS
        or what not in register.TABLES
        or separator not in SEPARATORS
        or language not in say.LANGUAGES
    ):
        return _sentence(
            _(
                "This download does not exist; use the buttons of the record of processing "
                "page (format: %(formats)s; language: %(languages)s)."
            )
            % {
                "formats": ", ".join(register.FORMATS),
                "languages": ", ".join(say.LANGUAGES),
            },
            400,
        )
    current = policy.published()
    if current is None:
        return _sentence(
            _("No policy is published yet, so there is no register to download; publish one."),
            404,
        )
    data = register.build(current.manifest, language, version=current)
    try:
        exported = register.export(data, fmt, what=what, separator=separator)
    except pdf.Unavailable:
        return _sentence(
            _(
                "This server cannot make PDF files (the Pango library is missing); download "
                "the CSV or JSON file, or ask the administrator to install Pango."
            ),
            503,
        )
    reason = f"{fmt} {what} {language}" if fmt == "csv" else f"{fmt} {language}"
    trail.exported(Actor.staff(request.user), "policy.register", str(current.number), reason)
    response = HttpResponse(exported.content, content_type=exported.media_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


add_page("register/download/", download_register, "register-download")
