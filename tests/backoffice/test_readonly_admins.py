"""Evidence in the back office: shown, never added, changed or deleted, even by a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from gardien.backoffice.readonly import ReadOnlyAdminMixin

READ_ONLY = [
    "audit.AuditEntry",
    "audit.AuditCheckpoint",
    "consent.ConsentRecord",
    "policy.PolicyVersion",
    "processors.OutboxItem",
    "vault.Person",
]


@pytest.mark.parametrize("label", READ_ONLY)
def test_it_refuses_every_change_even_to_a_superuser(db, label):
    model_admin = admin.site.get_model_admin(apps.get_model(label))
    assert isinstance(model_admin, ReadOnlyAdminMixin)
    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(username="root", is_superuser=True, is_staff=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_change_permission(request, object())
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_delete_permission(request, object())
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_outbox_keeps_its_own_retry_action():
    model_admin = admin.site.get_model_admin(apps.get_model("processors.OutboxItem"))
    assert model_admin.actions == ["retry_now"]
