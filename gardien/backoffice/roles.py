"""The back-office roles, defined here and nowhere else.

Each role is a Django group whose permissions are *computed* from the definitions
below by :func:`apply_roles`. The data migration ``0002_roles`` calls it once, and a
``post_migrate`` hook calls it after every ``gardien migrate``, so the permissions of
models added later (contact messages, rights requests…) reach the right roles without
anyone editing a group by hand. Editing a role's group in the back office is pointless:
the next migration puts it back as defined here.

- **DPO**: every permission of Gardien's own apps (``gardien.*``).
- **Staff**: view and change the organisation's contact messages; nothing else.
- **Viewer**: view the registers and statistics (policy versions, audit log), read only.

Rights requests (app ``rights``) and identity documents are never given to a role other
than DPO, whatever the lists below say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

#: ``grants`` key meaning "every app whose module lives under ``gardien.``".
GARDIEN_APPS = "gardien.*"
#: ``grants`` value meaning "every permission, built-in or custom".
EVERYTHING: frozenset[str] = frozenset({"*"})

#: Only the DPO role may ever hold permissions on these apps and models.
SENSITIVE_APPS = frozenset({"rights"})
SENSITIVE_MODELS = frozenset({"identitydocument"})


@dataclass(frozen=True)
class Role:
    slug: str  # what `gardien staff add --role` takes
    group: str  # the Django group's name, stored (and put back at every migrate)
    description: Any  # a lazy translation: str() in the reader's language
    grants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sensitive: bool = False  # may hold permissions on SENSITIVE_APPS / SENSITIVE_MODELS
    label: Any = ""  # the role's name a person reads (a lazy translation); else the group's

    def allows(self, app_label: str, model: str, codename: str, gardien_apps: set[str]) -> bool:
        if not self.sensitive and (app_label in SENSITIVE_APPS or model in SENSITIVE_MODELS):
            return False
        for target, actions in self.grants.items():
            if target != app_label and not (target == GARDIEN_APPS and app_label in gardien_apps):
                continue
            if actions == EVERYTHING:
                return True
            action = codename.split("_", 1)[0]
            if action in actions and codename == f"{action}_{model}":
                return True
        return False


ROLES: tuple[Role, ...] = (
    Role(
        slug="dpo",
        group="DPO",
        label=pgettext_lazy("back-office role", "DPO"),
        description=gettext_lazy(
            "data protection officer: sees and manages everything in Gardien, including "
            "people's data, rights requests and proofs of identity"
        ),
        grants={GARDIEN_APPS: EVERYTHING},
        sensitive=True,
    ),
    Role(
        slug="staff",
        group="Staff",
        label=pgettext_lazy("back-office role", "Staff"),
        description=gettext_lazy(
            "reads and answers the organisation's contact messages; nothing else"
        ),
        grants={"contact": frozenset({"view", "change"})},
    ),
    Role(
        slug="viewer",
        group="Viewer",
        label=pgettext_lazy("back-office role", "Viewer"),
        description=gettext_lazy(
            "reads the registers and statistics (policy versions, the record of processing "
            "and the processor registry, the audit log, the consent proofs and their "
            "statistics); cannot change anything"
        ),
        grants={app: frozenset({"view"}) for app in ("policy", "audit", "consent")},
    ),
)
BY_SLUG: dict[str, Role] = {role.slug: role for role in ROLES}
GROUP_NAMES: tuple[str, ...] = tuple(role.group for role in ROLES)


def label_of(group_name: str) -> str:
    """The name a person reads for a group: its role's name in the active language (Équipe,
    Lecture, DPO), or the group's own name for a group that is not a role."""
    for role in ROLES:
        if role.group == group_name:
            return str(role.label or role.group)
    return group_name


def slugs_in_words(slugs: str) -> str:
    """Roles as the audit log stores them (``dpo,staff``, ``administrator``, ``none``), by
    their names in the active language: the stored codes stay language-neutral."""
    names = []
    for slug in filter(None, (part.strip() for part in slugs.split(","))):
        if slug in BY_SLUG:
            names.append(str(BY_SLUG[slug].label))
        elif slug == "administrator":
            names.append(gettext("administrator"))
        elif slug == "none":
            names.append(gettext("none"))
        else:
            names.append(slug)
    return ", ".join(names) or "—"


def gardien_app_labels() -> set[str]:
    return {c.label for c in global_apps.get_app_configs() if c.name.startswith("gardien.")}


def apply_roles(apps: Any = global_apps, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Create the role groups and give each exactly the permissions defined above.

    Works with the live app registry and with a migration's historical one. Returns the
    number of permissions of each group.
    """
    from django.contrib.auth.management import create_permissions

    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth is not migrated yet in this state
        return {}
    if not router.allow_migrate_model(using, Group):
        return {}
    # Permissions are normally created after *all* migrations; make sure the ones of
    # every installed app exist now, so a fresh database gets complete roles at once.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, interactive=False, using=using, apps=apps)
    rows = list(
        Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "content_type__model", "codename"
        )
    )
    ours = gardien_app_labels()
    counts: dict[str, int] = {}
    for role in ROLES:
        group, _created = Group.objects.using(using).get_or_create(name=role.group)
        wanted = [pk for pk, app, model, code in rows if role.allows(app, model, code, ours)]
        group.permissions.set(wanted)
        counts[role.group] = len(wanted)
    return counts


def on_post_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """``post_migrate`` receiver: re-apply the roles after every migration."""
    apply_roles(apps=kwargs.get("apps") or global_apps, using=using)


def role_names(user: Any) -> list[str]:
    """The roles a user holds, for display ("administrator" for a superuser)."""
    names = ["administrator"] if getattr(user, "is_superuser", False) else []
    held = set(user.groups.filter(name__in=GROUP_NAMES).values_list("name", flat=True))
    return names + [role.slug for role in ROLES if role.group in held]


def has_role(user: Any) -> bool:
    """True for a superuser or a member of one of the role groups (cached on the user)."""
    cached = getattr(user, "_gardien_has_role", None)
    if cached is None:
        cached = bool(user.is_superuser or user.groups.filter(name__in=GROUP_NAMES).exists())
        user._gardien_has_role = cached
    return cached
