"""What the back office leaves out of Django's and its libraries' own admin pages.

django-otp registers pages for its TOTP and static devices, django-tasks-db one for task
results. None is of use to a DPO, and each invites a mistake: Gardien's second factors are
its own encrypted devices, reset with ``gardien staff otp-reset`` (which audits the reset),
so the plain TOTP table is always empty and editing backup codes by hand would bypass the
audit; the task results repeat, in a developer's terms, what the outbox page
(processors) shows of every delivery. This module is loaded after theirs (the back office
is listed after them in INSTALLED_APPS), so the pages are gone for superusers too.

It also replaces Django's pages of accounts and groups (a superuser's): the same pages, with
each role and permission named in the reader's language instead of its stored English name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from gardien.backoffice import roles

User = get_user_model()

for model in (StaticDevice, TOTPDevice, DBTaskResult):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


# --------------------------------------------------------------------------- accounts and roles
# The role groups keep their stored names ("Staff", "Viewer", "DPO": roles.py puts them back at
# every migrate); a person reads each role's name in their language wherever a group is shown.


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(role.group, role.label) for role in roles.ROLES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in roles.GROUP_NAMES:
            return queryset.filter(groups__name=self.value())
        return queryset


class _RoleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return roles.label_of(obj.name)


# Django stores each permission's name in English ("Can view contact message"); its model and
# its action are shown in the reader's language instead, with Django's own words for actions.
_ACTIONS = {"view": _("View"), "add": _("Add"), "change": _("Change"), "delete": _("Delete")}


class _PermissionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        action = obj.codename.split("_", 1)[0]
        if action in _ACTIONS and obj.codename == f"{action}_{obj.content_type.model}":
            return f"{obj.content_type} | {_ACTIONS[action]}"
        return f"{obj.content_type} | {gettext(obj.name)}"  # a permission of Gardien's own


def _choices(db_field: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The form field of an account's or a group's roles and permissions, named in words."""
    if db_field.name == "groups":
        kwargs["form_class"] = _RoleChoice
    elif db_field.name in ("permissions", "user_permissions"):
        kwargs["form_class"] = _PermissionChoice
        kwargs["queryset"] = Permission.objects.select_related("content_type")
    return kwargs


class AccountAdmin(UserAdmin):  # type: ignore[type-arg]
    """Django's page of accounts, with the roles named in the reader's language."""

    list_display = ("username", "roles_shown", "active", "last_login")
    list_filter = (RoleFilter, "is_active", "is_superuser")

    @admin.display(description=_("roles"))
    def roles_shown(self, obj: Any) -> str:
        names = sorted(roles.label_of(g.name) for g in obj.groups.all())
        if obj.is_superuser:
            names.insert(0, str(_("administrator")))
        return ", ".join(names) or "—"

    # Words, not Django's icons: their text for a screen reader is "True" / "False" in English.
    @admin.display(description=_("active"), ordering="is_active")
    def active(self, obj: Any) -> str:
        return str(_("Yes") if obj.is_active else _("No"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("groups")

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        return super().formfield_for_manytomany(db_field, request, **_choices(db_field, kwargs))


class RoleGroupAdmin(GroupAdmin):
    """Django's page of groups: each role by its name in the reader's language."""

    list_display = ("role",)

    @admin.display(description=_("role"), ordering="name")
    def role(self, obj: Group) -> str:
        return roles.label_of(obj.name)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        return super().formfield_for_manytomany(db_field, request, **_choices(db_field, kwargs))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        group = self.get_object(request, object_id)
        extra = {"subtitle": roles.label_of(group.name)} if group is not None else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


for model, model_admin in ((User, AccountAdmin), (Group, RoleGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
