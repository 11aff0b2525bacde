"""Roles are groups computed from roles.py, by the migration and after every migration."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gardien.backoffice import roles


def codes(group_name: str) -> set[str]:
    return {
        f"{app}.{code}"
        for app, code in Group.objects.get(name=group_name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_migration_created_the_three_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"DPO", "Staff", "Viewer"}
    ours = roles.gardien_app_labels()
    everything = {
        f"{app}.{code}"
        for app, code in Permission.objects.filter(content_type__app_label__in=ours).values_list(
            "content_type__app_label", "codename"
        )
    }
    assert codes("DPO") == everything
    assert "policy.view_policyversion" in codes("DPO")
    assert {p for p in codes("Viewer") if p.startswith("policy.")} == {"policy.view_policyversion"}
    assert all(p.split(".")[1].startswith("view_") for p in codes("Viewer"))
    assert {p.split(".")[0] for p in codes("Viewer")} <= {"policy", "audit", "consent"}
    assert all(p.startswith("contact.") for p in codes("Staff"))


@pytest.fixture
def later_models(db, monkeypatch):
    """Models that do not exist yet: contact messages, rights requests, identity documents."""
    monkeypatch.setattr(
        roles, "gardien_app_labels", lambda: {"contact", "rights", "vault", "policy", "audit"}
    )
    for app, model in [
        ("contact", "message"),
        ("rights", "request"),
        ("vault", "identitydocument"),
    ]:
        ctype = ContentType.objects.create(app_label=app, model=model)
        for action in ("add", "change", "delete", "view"):
            Permission.objects.create(
                content_type=ctype, codename=f"{action}_{model}", name=f"Can {action} {model}"
            )


# The contact app's own model, and the stand-in added by ``later_models``.
STAFF = {
    "contact.view_contactmessage",
    "contact.change_contactmessage",
    "contact.view_message",
    "contact.change_message",
}


def test_models_added_later_reach_their_roles_after_migrate(later_models):
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert codes("Staff") == STAFF
    assert {
        "rights.view_request",
        "rights.change_request",
        "vault.view_identitydocument",
        "contact.delete_message",
    } <= codes("DPO")
    assert not any(p.startswith("rights.") or "identitydocument" in p for p in codes("Viewer"))


def test_a_hand_edited_group_is_put_back(later_models):
    staff = Group.objects.get(name="Staff")
    staff.permissions.add(Permission.objects.get(codename="view_request"))
    roles.apply_roles()
    assert codes("Staff") == STAFF


def test_sensitive_apps_stay_with_the_dpo_even_if_listed(monkeypatch):
    reckless = roles.Role("x", "X", "", {"rights": roles.EVERYTHING, "vault": roles.EVERYTHING})
    assert not reckless.allows("rights", "request", "view_request", set())
    assert not reckless.allows("vault", "identitydocument", "view_identitydocument", set())
    assert reckless.allows("vault", "person", "view_person", set())


def test_the_migration_runs_the_same_function_on_historical_models(db):
    Group.objects.filter(name__in=roles.GROUP_NAMES).delete()
    migration = importlib.import_module("gardien.backoffice.migrations.0002_roles")
    state = MigrationExecutor(connection).loader.project_state(("backoffice", "0002_roles"))
    migration.apply_roles(state.apps, SimpleNamespace(connection=connection))
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.GROUP_NAMES)
    assert "policy.view_policyversion" in codes("Viewer")
