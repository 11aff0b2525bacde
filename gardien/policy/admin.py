"""The policy in the back office: published versions, the draft's differences, the DPO's
publish page, and the record of processing activities (GDPR Art. 30) with its processor
registry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from gardien.audit.services import Actor
from gardien.backoffice.columns import moment
from gardien.backoffice.readonly import ReadOnlyAdminMixin
from gardien.backoffice.site import add_dashboard_block, add_page
from gardien.lib import clock
from gardien.manifest import ManifestError, content_hash
from gardien.manifest import wording as say
from gardien.policy import document, publishing, register
from gardien.policy import services as policy
from gardien.policy.diffing import compare
from gardien.policy.models import NOTE_MAX_LENGTH, PolicyVersion

#: Who may publish: publishing adds a policy version, a permission only the DPO role holds.
PUBLISH_PERMISSION = "policy.add_policyversion"


def _language(request: HttpRequest) -> str:
    language = request.GET.get("language", request.LANGUAGE_CODE)
    return language if language in say.LANGUAGES else say.DEFAULT_LANGUAGE


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Published versions are evidence: they can be read, never edited or deleted here."""

    published = moment(PolicyVersion, "published_at")
    list_display = ("number", "published", "note", "note_en", "short_hash")
    fields = ("number", "published", "note", "note_en", "content_hash", "source")
    readonly_fields = fields

    @admin.display(description=_("fingerprint"))
    def short_hash(self, obj: PolicyVersion) -> str:
        return obj.content_hash[:12]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {"draft": policy.draft_changes(_language(request)), **(extra_context or {})}
        return super().changelist_view(request, extra)


def record_of_processing(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The published record of processing, and what the draft on disk would change."""
    if not request.user.has_perm("policy.view_policyversion"):
        raise PermissionDenied
    language = _language(request)
    draft = policy.draft_changes(language)
    context.update({"title": _("Record of processing"), "language": language, "draft": draft})
    current = policy.published()
    if current is not None:
        context.update(register.context(register.build(current.manifest, language)))
    status = 500 if draft.problems else 200
    return TemplateResponse(request, "policy/admin/register.html", context, status=status)


add_page("register/", record_of_processing, "register")


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("Note in French"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_(
            "Shown beside the version in the public history, e.g. “Nouveau sous-traitant : "
            "Brevo”. Optional."
        ),
    )
    note_en = forms.CharField(
        label=_("Note in English"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("The same note in English; without it, English readers see the French one."),
    )
    # The draft the DPO reviewed: a file changed meanwhile is shown again, not published unseen.
    draft = forms.CharField(widget=forms.HiddenInput)


def _draft_hash() -> str | None:
    try:
        return content_hash(policy.draft())
    except (ManifestError, OSError):
        return None


@require_http_methods(["GET", "HEAD", "POST"])
def publish_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The draft against the version in force, the date a publication carries, and the button
    that publishes it, audited as the DPO's act (the command's entry names the system)."""
    if not request.user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied
    language = _language(request)
    status = 200
    form = PublishForm(initial={"draft": _draft_hash() or ""})
    if request.method == "POST":
        posted = PublishForm(request.POST)
        if not posted.is_valid():
            form, status = posted, 400
        elif posted.cleaned_data["draft"] != _draft_hash():
            messages.warning(
                request,
                gettext(
                    "The manifest file changed while you were reading: here are its changes as "
                    "they are now. Nothing was published."
                ),
            )
            form.initial.update(
                note=posted.cleaned_data["note"], note_en=posted.cleaned_data["note_en"]
            )
            status = 409
        else:
            try:
                version = publishing.publish(
                    note=posted.cleaned_data["note"],
                    note_en=posted.cleaned_data["note_en"],
                    actor=Actor.staff(request.user),
                    # What the DPO read, again at the moment of publishing: a file saved
                    # between the check above and the publication is refused too.
                    expected_hash=posted.cleaned_data["draft"],
                )
            except (ManifestError, policy.PublishRefused) as exc:
                messages.error(request, str(exc))
                status = 409
            else:
                if version is not None:
                    messages.success(
                        request,
                        gettext("Version %(number)d of the privacy policy is published.")
                        % {"number": version.number},
                    )
                    return HttpResponseRedirect(reverse("admin:policy_policyversion_changelist"))
    with translation.override(language):  # the policy's text as visitors in it read it
        draft = policy.draft_changes(language)
        rows = []
        if draft.differs:
            new = document.text_lines(document.build(policy.draft(), language))
            old = (
                document.text_lines(document.build(draft.published.manifest, language))
                if draft.published is not None
                else []
            )
            rows = compare(old, new)
    context.update(
        {
            "title": _("Publish the privacy policy"),
            "opts": PolicyVersion._meta,
            "language": language,
            "draft": draft,
            "rows": rows,
            "number": draft.published.number + 1 if draft.published else 1,
            "date": clock.now(),
            "form": form,
        }
    )
    return TemplateResponse(request, "policy/admin/publish.html", context, status=status)


add_page("policy/publish/", publish_page, "policy-publish")


def _dashboard(request: HttpRequest) -> dict[str, Any]:
    """For the DPO: whether the manifest file has changes waiting to be published."""
    if not request.user.has_perm(PUBLISH_PERMISSION):
        return {"may_publish": False}
    draft = policy.draft_changes(say.DEFAULT_LANGUAGE)
    return {
        "may_publish": True,
        "current": draft.published,
        "waiting": draft.differs,
        "broken": bool(draft.problems),
    }


add_dashboard_block("policy/admin/publish_block.html", _dashboard)
