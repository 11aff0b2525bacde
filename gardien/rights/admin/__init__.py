"""Rights requests in the back office: the DPO's queue, a case page per request, a form to
enter a request that came by email or post, and a word on the dashboard.

- **Queue** (``/admin/rights/rightsrequest/``): open requests first, the soonest deadline
  first, flagged overdue or due soon by :func:`services.queue`; state, channel, rights in
  words, received; filters by state, channel, open or closed; search by reference. No name or
  address is listed.
- **Case page** (``/admin/rights/rightsrequest/<id>/change/``): what the requester wrote, the
  dates, the timeline, and the actions. Each action is a small form posted to the same page
  with ``action=<name>`` (verify, identity, extend, access, portability, contest,
  rectify_preview, decide, erase, restrict, lift, object, withdraw, refuse, close; rectify and
  mark_told from the blocks that offer them); it calls :mod:`services`, :mod:`fulfil`,
  :mod:`rectify`, :mod:`recipients` or :mod:`identity` as the staff account, and the page shows
  the sentence of a :class:`RightsError` (nothing changed) or what was done. Every opening of a
  case page is audited.
- **Rectification** in two steps: the record and the field chosen in words among the
  person's records, the new value; the first POST shows old → new (nothing changed, the
  reading audited), the second applies it. While the person contests accuracy, the decision.
- **Art. 19 notices**: each recipient told of an erasure, a restriction or a rectification,
  how, and a "Mark as told" button for those the DPO writes to.
- **Proof of identity** (``/admin/rights/rightsrequest/<id>/identity/``): asked with a reason,
  and once received, answered as an attachment to the DPO only, each reading audited.
- **Enter a request** (``/admin/rights/rightsrequest/add/``): one that arrived by email or
  post, filed through :func:`services.create`.
- **Dashboard**: open, overdue and due-soon counts, for those who may open the queue only.

Only the DPO role (and a superuser) sees anything here: ``roles.py`` never gives the
permissions of the ``rights`` app to another role. Acting needs
``rights.change_rightsrequest``, entering a request ``rights.add_rightsrequest``; nothing is
deleted by hand.

The package: this module holds the admin (the queue, the case page, the proof of identity,
entering a request) and the dashboard's block, both registered when it is imported;
:mod:`.words` puts dates, rights, the timeline and actors in words; :mod:`.base` holds the
form every action builds on, :mod:`.correction` the two steps of a correction, :mod:`.actions`
the other actions' forms, what each action does and when it is offered; :mod:`.entry` the form
to enter a request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.audit.services import Actor, record
from gardien.backoffice.columns import moment
from gardien.backoffice.site import add_dashboard_block
from gardien.lib import clock
from gardien.rights import identity, recipients, rectify, services
from gardien.rights.admin.actions import (
    ACTIONS,
    BY_NAME,
    PREVIEW,
    Action,
    ContestForm,
    DecideForm,
    EraseForm,
    IdentityForm,
    MarkToldForm,
    ObjectForm,
    ReasonForm,
    RestrictForm,
    Run,
    State,
    VerifyForm,
    _form,
)
from gardien.rights.admin.base import ActionForm
from gardien.rights.admin.correction import (
    STAFF_WRITTEN,
    ApplyCorrectionForm,
    CorrectionForm,
    Target,
)
from gardien.rights.admin.entry import EnterForm
from gardien.rights.admin.words import (
    DOCUMENT_TYPES,
    EVENT_WORDS,
    NOTICE_ACTIONS,
    _activities,
    _actors,
    _day,
    _moment,
    _note_in_words,
    _rights_in_words,
)
from gardien.rights.models import IdentityDocument, Right, RightsRequest
from gardien.rights.services import RightsError

__all__ = [
    "ACTIONS",
    "BY_NAME",
    "DOCUMENT_TYPES",
    "EVENT_WORDS",
    "IDENTITY_PERMISSION",
    "NOTICE_ACTIONS",
    "PREVIEW",
    "STAFF_WRITTEN",
    "VIEW_PERMISSION",
    "Action",
    "ActionForm",
    "ApplyCorrectionForm",
    "ContestForm",
    "CorrectionForm",
    "DecideForm",
    "EnterForm",
    "EraseForm",
    "IdentityForm",
    "MarkToldForm",
    "ObjectForm",
    "OpenFilter",
    "ReasonForm",
    "RestrictForm",
    "RightsRequestAdmin",
    "Run",
    "State",
    "Target",
    "VerifyForm",
]

VIEW_PERMISSION = "rights.view_rightsrequest"
#: Reading a proof of identity: only the DPO role holds it (roles.SENSITIVE_MODELS).
IDENTITY_PERMISSION = "rights.view_identitydocument"


# --- the queue --------------------------------------------------------------------------


class OpenFilter(admin.SimpleListFilter):
    title = gettext_lazy("open or closed")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", gettext_lazy("open")), ("no", gettext_lazy("closed"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RightsRequest]
    ) -> QuerySet[RightsRequest]:
        if self.value() in ("yes", "no"):
            return queryset.filter(closed_at__isnull=self.value() == "yes")
        return queryset


def _deadline_column() -> Callable[[RightsRequest], str]:
    """The list's "deadline" column: the date with its flag, as :func:`services.queue` sets
    it (asked once per page, when the first row is shown)."""
    flags: list[dict[Any, services.Queued]] = []

    @admin.display(description=gettext_lazy("deadline"))
    def deadline(obj: RightsRequest) -> str:
        if not flags:
            flags.append({q.request.pk: q for q in services.queue()})
        queued = flags[0].get(obj.pk)
        day = _day(obj.deadline)
        if obj.extended_to is not None:
            day = _("%(day)s (extended)") % {"day": day}
        if queued is not None and queued.overdue:
            return format_html(
                '{} <strong class="rights-flag rights-overdue">{}</strong>', day, _("overdue")
            )
        if queued is not None and queued.due_soon:
            return format_html(
                '{} <strong class="rights-flag rights-due-soon">{}</strong>', day, _("due soon")
            )
        return day

    return deadline


# --- the admin --------------------------------------------------------------------------


@admin.register(RightsRequest)
class RightsRequestAdmin(admin.ModelAdmin):
    """The DPO's queue and case pages. Nothing is edited or deleted by hand: every change is
    a step of :mod:`services` or :mod:`fulfil`, audited and written to the timeline."""

    received_when = moment(RightsRequest, "received_at")
    list_display = ("reference", "state", "channel", "rights_in_words", "received_when")
    list_display_links = ("reference",)
    list_filter = (OpenFilter, "state", "channel")
    search_fields = ("=reference",)
    search_help_text = gettext_lazy("Type the request's reference, e.g. R-7KQ2M9XW4P.")
    sortable_by = ()
    actions = None
    show_full_result_count = False
    change_list_template = "rights/admin/rightsrequest_change_list.html"

    @admin.display(description=gettext_lazy("rights asked"))
    def rights_in_words(self, obj: RightsRequest) -> str:
        return _rights_in_words(obj.rights)

    def get_list_display(self, request: HttpRequest) -> Any:
        reference, *rest = self.list_display
        return (reference, _deadline_column(), *rest)

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Open first, soonest deadline first (the deadline as services.queue() reads it);
        # then the closed, the last closed first.
        is_open = When(closed_at__isnull=True, then=Value(0))
        open_deadline = When(closed_at__isnull=True, then=Coalesce(F("extended_to"), F("due_at")))
        return [
            Case(is_open, default=Value(1)).asc(),
            Case(open_deadline).asc(),
            F("closed_at").desc(),
            "received_at",
        ]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def may_act(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    # --- the queue

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "title": _("Rights requests, the nearest deadline first"),
            "due_soon_days": services.DUE_SOON.days,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # --- a case

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        case = self._case(object_id)
        if case is None:
            raise Http404(_("There is no rights request with this address."))
        if request.method == "POST":
            return self._act(request, case)
        record(
            actor=Actor.staff(request.user),
            action="view",
            target_type=RightsRequest._meta.label_lower,
            target_ref=str(case.pk),
            reason="back office",
        )
        return self._case_page(request, case)

    def _case(self, object_id: str) -> RightsRequest | None:
        try:
            pk = uuid.UUID(str(object_id))
        except ValueError:
            return None
        return RightsRequest.objects.filter(pk=pk).first()

    def _act(self, request: HttpRequest, case: RightsRequest) -> HttpResponse:
        if not self.may_act(request):
            raise PermissionDenied
        action = BY_NAME.get(str(request.POST.get("action", "")))
        if action is None:
            messages.error(request, _("This action does not exist; nothing was done."))
            return self._case_page(request, case, status=400)
        form = _form(action, request.POST, case)
        if not form.is_valid():
            if action.name == "rectify" and set(form.errors) == {"confirm"}:
                # Not confirmed: the same preview again, with the reason.
                messages.error(request, str(form.errors["confirm"][0]))
                entry = _form(BY_NAME[PREVIEW], request.POST, case)
                if entry.is_valid():
                    return self._preview(request, case, entry, status=400)
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return self._case_page(request, case, bound=(action.name, form), status=400)
        if action.name == PREVIEW:
            return self._preview(request, case, form)
        try:
            with transaction.atomic():
                done = action.run(case, form.cleaned_data, Actor.staff(request.user))
        except RightsError as error:
            messages.error(request, str(error))
            fresh = self._case(str(case.pk)) or case
            return self._case_page(request, fresh, bound=(action.name, form), status=400)
        messages.success(request, done)
        return HttpResponseRedirect(self._case_url(case))

    def _preview(
        self, request: HttpRequest, case: RightsRequest, form: ActionForm, status: int = 200
    ) -> HttpResponse:
        """The first step of a correction: old → new, nothing changed; the values read are
        audited. The page then offers to apply it."""
        data = form.cleaned_data
        try:
            changes = rectify.preview(case, [data["correction"]])
        except RightsError as error:
            messages.error(request, str(error))
            return self._case_page(request, case, bound=(PREVIEW, form), status=400)
        actor = Actor.staff(request.user)
        for change in changes:
            record(
                actor=actor,
                action="read",
                target_type=change.record,
                target_ref=change.pk,
                reason=f"rights: {case.reference} rectification preview",
            )
        record_words, field_words = data["words"]
        shown = {
            "changes": [
                {"record": record_words, "field": field_words, "old": c.old, "new": c.new}
                for c in changes
            ],
            "form": _form(
                BY_NAME["rectify"],
                case=case,
                initial={name: data[name] for name in ("record", "field", "value")},
            ),
        }
        return self._case_page(request, case, bound=(PREVIEW, form), preview=shown, status=status)

    def _case_url(self, case: RightsRequest) -> str:
        return reverse("admin:rights_rightsrequest_change", args=[case.pk])

    def _notices(
        self,
        case: RightsRequest,
        notices: list[recipients.Notice],
        actors: dict[str, str],
        may_act: bool,
    ) -> list[dict[str, Any]]:
        """The Art. 19 notices in words, a "Mark as told" form on each still to tell."""
        rows = []
        for index, notice in enumerate(notices):
            state = notice.state_label
            if notice.state == recipients.State.TOLD:
                state = _("told on %(day)s by %(who)s") % {
                    "day": _moment(notice.told_at),
                    "who": actors.get(notice.told_by, notice.told_by),
                }
            form = None
            if may_act and notice.state == recipients.State.TO_TELL:
                form = _form(
                    BY_NAME["mark_told"],
                    case=case,
                    sentence=_("I told %(recipient)s of every action still waiting for it.")
                    % {"recipient": notice.name},
                    prefix_id=f"mark_told_{index}",
                    initial={"recipient": notice.recipient},
                )
            rows.append(
                {
                    "recipient": notice.name,
                    "action": str(NOTICE_ACTIONS.get(notice.action, notice.action)),
                    "state": state,
                    "to_tell": notice.state == recipients.State.TO_TELL,
                    "when": _moment(notice.at),
                    "form": form,
                }
            )
        return rows

    def _case_page(
        self,
        request: HttpRequest,
        case: RightsRequest,
        *,
        bound: tuple[str, ActionForm] | None = None,
        status: int = 200,
        preview: dict[str, Any] | None = None,
    ) -> HttpResponse:
        queued = next((q for q in services.queue() if q.request.pk == case.pk), None)
        events = list(case.events.all())
        activities = dict(_activities())
        notice_rows = recipients.notices(case)
        actors = _actors({e.actor for e in events} | {n.told_by for n in notice_rows})
        may_act = self.may_act(request)
        if bound and bound[0] == "rectify":
            # Applying failed: the first step again, with what was typed.
            typed = {name: bound[1].data.get(name, "") for name in ("record", "field", "value")}
            bound = (PREVIEW, _form(BY_NAME[PREVIEW], case=case, initial=typed))
        actions = []
        if may_act:
            for action in ACTIONS:
                if action.inline:
                    continue
                mine = bound is not None and bound[0] == action.name
                if not action.shown(case) and not mine:
                    continue
                form = bound[1] if bound and mine else _form(action, case=case)
                actions.append(
                    {
                        "action": action,
                        "form": form,
                        "asked": bool(action.answers) and action.answers in case.rights,
                        "confirmed": "confirm" in form.fields,
                    }
                )
        document = IdentityDocument.objects.filter(request=case).first()
        document_url = ""
        if (
            document is not None
            and document.uploaded_at is not None
            and request.user.has_perm(IDENTITY_PERMISSION)
        ):
            document_url = reverse("admin:rights_rightsrequest_identity", args=[case.pk])
        person_url = ""
        if case.person_id is not None and request.user.has_perm("vault.view_person"):
            person_url = reverse("admin:vault_person_change", args=[case.person_id])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Rights request %(reference)s") % {"reference": case.reference},
            "case": case,
            "rights": [str(services.right_label(code)) for code in case.rights],
            "rectification": Right.RECTIFICATION in case.rights,
            "channel": case.get_channel_display(),
            "language": dict([("fr", "Français"), ("en", "English")]).get(case.lang, case.lang),
            "overdue": queued is not None and queued.overdue,
            "due_soon": queued is not None and queued.due_soon,
            "due_soon_days": services.DUE_SOON.days,
            "dates": [
                (_("Received"), _moment(case.received_at)),
                (_("Answer due"), _day(case.due_at)),
                (_("Extended to"), _day(case.extended_to)),
                (_("Identity verified"), _moment(case.verified_at)),
                (_("Answered"), _moment(case.answered_at)),
                (_("Closed"), _moment(case.closed_at)),
            ],
            "deadline": _day(case.deadline),
            "document": document,
            "document_asked": _moment(document.asked_at) if document else "",
            "document_received": _moment(document.uploaded_at) if document else "",
            "document_url": document_url,
            "notices": self._notices(case, notice_rows, actors, may_act),
            "preview": preview,
            "person_url": person_url,
            "timeline": [
                {
                    "when": _moment(event.at),
                    "what": str(EVENT_WORDS.get(event.kind, event.kind)),
                    "by": actors.get(event.actor, event.actor),
                    "note": _note_in_words(event, activities),
                }
                for event in events
            ],
            "actions": actions,
            "may_act": may_act,
            "is_open": case.closed_at is None,
            "verified": case.state == State.VERIFIED,
            "closed_day": _moment(case.closed_at),
        }
        return TemplateResponse(request, "rights/admin/case.html", context, status=status)

    # --- the proof of identity

    def get_urls(self) -> list[Any]:
        identity_view = self.admin_site.admin_view(self.identity_view, cacheable=True)
        return [
            path(
                "<path:object_id>/identity/",
                identity_view,
                name=f"{self.opts.app_label}_{self.opts.model_name}_identity",
            ),
            *super().get_urls(),
        ]

    def identity_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The proof of identity received, as an attachment, to the DPO only; each reading is
        audited. Its name is the request's reference, never the name it was uploaded with."""
        if not request.user.has_perm(IDENTITY_PERMISSION):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        case = self._case(object_id)
        if case is None:
            raise Http404(_("There is no rights request with this address."))
        found = identity.read(case, actor=Actor.staff(request.user))
        if found is None:
            raise Http404(_("No proof of identity was received for this request."))
        content_type, data = found
        extension = identity.ACCEPTED.get(content_type, (b"", ""))[1]
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="identity-{case.reference}{extension}"'
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    # --- entering a request

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = EnterForm(request.POST, label_suffix="")
            if form.is_valid():
                data = form.cleaned_data
                try:
                    case = services.create(
                        channel=data["channel"],
                        received_at=form.received_at(),
                        rights=data["rights"],
                        actor=Actor.staff(request.user),
                        lang=data["lang"],
                        email=data["email"],
                        reply_email=data["reply_email"],
                        last_name=data["last_name"],
                        first_name=data["first_name"],
                        postal_address=data["postal_address"],
                        details=data["details"],
                        consent_reference=data["consent_reference"],
                    )
                except RightsError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(
                        request,
                        _(
                            "Request %(reference)s is filed; the answer is due on %(day)s. "
                            "Quote its reference when you write to the person."
                        )
                        % {"reference": case.reference, "day": _day(case.due_at)},
                    )
                    return HttpResponseRedirect(self._case_url(case))
            status = 400
        else:
            today = timezone.localtime(clock.now()).date()
            form = EnterForm(initial={"received_on": today}, label_suffix="")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Enter a request received by email or post"),
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "rights/admin/add.html", context, status=status)


# --- the dashboard ----------------------------------------------------------------------


def _dashboard(request: HttpRequest) -> dict[str, Any]:
    if not request.user.has_perm(VIEW_PERMISSION):
        return {"rights_visible": False}
    rows = services.queue()
    return {
        "rights_visible": True,
        "open": len(rows),
        "overdue": sum(q.overdue for q in rows),
        "due_soon": sum(q.due_soon for q in rows),
        "due_soon_days": services.DUE_SOON.days,
    }


# Counts and links for those who may open the queue (the DPO); nothing for the other roles.
add_dashboard_block("rights/admin/dashboard.html", _dashboard)
