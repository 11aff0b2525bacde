"""The site settings in the back office: the allowed origins, and the origins refused recently
with a button to allow one. Every role reads the page (it holds no personal data); only an
account that may change the allowed origins (the DPO role) adds or removes one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from gardien.backoffice.site import add_dashboard_block, add_page
from gardien.site import services
from gardien.site.models import AddedFrom

CHANGE = ("site.add_allowedorigin", "site.delete_allowedorigin")


def may_change(user: Any) -> bool:
    return bool(user.has_perms(CHANGE))


def origins_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """GET: the lists. POST (DPO): ``add`` or ``remove`` the origin given, then back here."""
    changer = may_change(request.user)
    status = 200
    if request.method == "POST":
        if not changer:
            messages.error(request, _("Only the DPO role may change the allowed origins."))
            return TemplateResponse(
                request, "site/admin/origins.html", _context(request, context, False), status=403
            )
        action = request.POST.get("action", "")
        value = request.POST.get("origin", "")
        try:
            if action == "add":
                row, created = services.add(value, source=AddedFrom.BACKOFFICE, user=request.user)
                if created:
                    messages.success(
                        request,
                        _("The site %(origin)s is allowed; nothing was published.")
                        % {"origin": row.origin},
                    )
                else:
                    messages.info(
                        request,
                        _("The site %(origin)s was already allowed.") % {"origin": row.origin},
                    )
            elif action == "remove":
                origin = services.remove(value, source=AddedFrom.BACKOFFICE, user=request.user)
                messages.success(
                    request, _("The site %(origin)s is no longer allowed.") % {"origin": origin}
                )
            else:
                raise services.InvalidOrigin(_("Choose to add or to remove an origin."))
        except services.InvalidOrigin as exc:
            messages.error(request, str(exc))
            status = 400
        except services.NotListed as exc:
            messages.error(
                request,
                _("The site %(origin)s is not an allowed origin.") % {"origin": exc.args[0]},
            )
            status = 400
        if status == 200:
            return HttpResponseRedirect(reverse("admin:site_origins"))
    return TemplateResponse(
        request, "site/admin/origins.html", _context(request, context, changer), status=status
    )


def _context(request: HttpRequest, context: dict[str, Any], changer: bool) -> dict[str, Any]:
    context.update(
        {
            "title": _("Allowed origins"),
            "site_url": services.own_origin(),
            "allowed": [(row, services.added_by(row)) for row in services.listed()],
            "refused": services.refused(),
            "may_change": changer,
            "typed": (
                request.POST.get("origin", "")
                if request.method == "POST"
                else request.GET.get("review", "")[:200]
            ),
            # A refused site chosen for review: the add form, filled in, says what allowing
            # it means (anyone can make a request name any site; allowing is never one click).
            "reviewing": request.method == "GET" and bool(request.GET.get("review")),
        }
    )
    return context


def dashboard(request: HttpRequest) -> dict[str, Any]:
    return {"refused_origins": len(services.refused()), "allowed_origins": len(services.listed())}


add_page("site/origins/", origins_page, "site_origins")
add_dashboard_block("site/admin/dashboard.html", dashboard)
