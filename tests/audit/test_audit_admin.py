"""The back office shows the audit log and never lets anyone change it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from gardien.audit.models import AuditCheckpoint, AuditEntry
from gardien.audit.services import purge_before, verify
from gardien.lib import clock


@pytest.mark.parametrize("model", [AuditEntry, AuditCheckpoint])
def test_it_refuses_add_change_and_delete_even_to_a_superuser(rf, admin_user, model):
    model_admin = admin.site.get_model_admin(model)
    request = rf.get("/")
    request.user = admin_user

    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_it_refuses_a_post_to_the_delete_page(write, backoffice_client):
    entry = write(2)[0]

    url = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert backoffice_client.post(url, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.count() == 2
    assert verify().ok


def test_it_refuses_a_post_to_the_change_page(write, backoffice_client):
    entry = write(1)[0]

    url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    response = backoffice_client.post(url, {"reason": "edited", "action": "view"})
    assert response.status_code == 403
    assert verify().ok


def test_it_refuses_the_add_page(backoffice_client, db):
    assert backoffice_client.get(reverse("admin:audit_auditentry_add")).status_code == 403


def test_it_ignores_a_bulk_delete_request(write, backoffice_client):
    entries = write(2)

    backoffice_client.post(
        reverse("admin:audit_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [e.pk for e in entries], "post": "yes"},
    )
    assert AuditEntry.objects.count() == 2


def test_it_lists_and_finds_entries_by_target(write, backoffice_client):
    entries = write(3)

    url = reverse("admin:audit_auditentry_changelist")
    response = backoffice_client.get(url, {"q": entries[1].target_ref, "action": "erase"})
    assert response.status_code == 200
    assert entries[1].target_ref in response.text
    assert entries[2].target_ref not in response.text
    detail = backoffice_client.get(reverse("admin:audit_auditentry_change", args=[entries[0].pk]))
    assert detail.status_code == 200
    assert entries[0].hash in detail.text


def test_it_shows_checkpoints_read_only(write, backoffice_client):
    write(2, start="2024-01-10T09:00:00")
    purge_before(clock.parse_instant("2025-01-01"))
    checkpoint = AuditCheckpoint.objects.get()

    assert (
        backoffice_client.get(reverse("admin:audit_auditcheckpoint_changelist")).status_code == 200
    )
    delete = reverse("admin:audit_auditcheckpoint_delete", args=[checkpoint.pk])
    assert backoffice_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditCheckpoint.objects.count() == 1
