"""Audit entries for changes that can be made from several places (the ORM, a command, a
migration), so none goes unrecorded: an account's roles, a published policy version."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.backoffice.roles import GROUP_NAMES, role_names

_CHANGES = ("post_add", "post_remove", "post_clear")


def on_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[Any] | None, **kwargs: Any
) -> None:
    """``user.groups.add(…)`` or ``group.user_set.add(…)``: the users' roles after it."""
    if action not in _CHANGES:
        return
    User = get_user_model()
    if reverse:  # from the group's side: instance is the Group, pk_set the users
        if instance.name not in GROUP_NAMES:
            return
        users = list(User._default_manager.filter(pk__in=pk_set or ()))
    else:
        if (
            pk_set is not None
            and not Group.objects.filter(pk__in=pk_set, name__in=GROUP_NAMES).exists()
        ):
            return
        users = [instance]
    for user in users:
        trail.roles_changed(Actor.system(), user, role_names(user))


def on_policy_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw", False):
        trail.policy_published(trail.publisher(), instance.number, instance.content_hash)


def connect() -> None:
    from gardien.policy.models import PolicyVersion

    User = get_user_model()
    m2m_changed.connect(
        on_groups_changed, sender=User.groups.through, dispatch_uid="gardien.backoffice.roles_audit"
    )
    post_save.connect(
        on_policy_saved, sender=PolicyVersion, dispatch_uid="gardien.backoffice.policy_audit"
    )
