from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_tasks_db.models import DBTaskResult

from gardien.backoffice.roles import apply_roles
from gardien.processors import outbox
from gardien.processors.models import OutboxItem
from tests.processors import tasks

CHANGELIST = "admin:processors_outboxitem_changelist"


def back_office(client, user: User):  # type: ignore[no-untyped-def]
    """Log ``user`` in with a verified second factor, as the back office may require it."""
    client.force_login(user)
    device = StaticDevice.objects.create(user=user, name="test")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def staff_with_role(role: str) -> User:
    """A staff account in one of the back office's role groups (DPO, Viewer...)."""
    apply_roles()
    user = User.objects.create_user(role.lower(), f"{role}@example.org", "x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def dead_item(run_worker, t0) -> OutboxItem:
    item = outbox.enqueue(tasks.always_fail, "r-1")
    for hours in range(3):
        run_worker(t0 + dt.timedelta(hours=hours))
    item.refresh_from_db()
    assert item.state == OutboxItem.State.DEAD
    return item


@pytest.mark.django_db
def test_it_lists_dead_and_pending_items_for_a_superuser(client, dead_item):
    pending = outbox.enqueue(tasks.succeed, "r-2")
    done = outbox.enqueue(tasks.succeed, "r-3")
    OutboxItem.objects.filter(pk=done.pk).update(state=OutboxItem.State.DONE)
    admin = User.objects.create_superuser("dpo", "dpo@example.org", "x" * 16)

    response = back_office(client, admin).get(reverse(CHANGELIST))

    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert listed == {dead_item, pending}
    assert str(dead_item.id)[:8] in response.text
    assert "RuntimeError: processor down while sending to [email]" in response.text
    assert "retry_now" in response.text


@pytest.mark.django_db
def test_it_retries_a_dead_item_now_from_the_admin(client, dead_item, run_worker, t0):
    admin = User.objects.create_superuser("dpo", "dpo@example.org", "x" * 16)

    response = back_office(client, admin).post(
        reverse(CHANGELIST),
        {"action": "retry_now", "_selected_action": [str(dead_item.pk)], "index": "0"},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 élément va être réessayé maintenant." in response.text  # French by default
    dead_item.refresh_from_db()
    assert (dead_item.state, dead_item.attempts) == (OutboxItem.State.PENDING, 0)
    row = DBTaskResult.objects.get(pk=dead_item.task_result_id)
    assert row.status == TaskResultStatus.READY
    assert row.args_kwargs == {"args": ["r-1"], "kwargs": {}}

    assert run_worker(t0 + dt.timedelta(days=1)).endswith("1 retried later, 0 dead.")
    dead_item.refresh_from_db()
    assert (dead_item.state, dead_item.attempts) == (OutboxItem.State.PENDING, 1)


@pytest.mark.django_db
def test_it_gives_the_dpo_role_the_list_and_the_retry(client, dead_item):
    dpo = staff_with_role("DPO")
    response = back_office(client, dpo).get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "retry_now" in response.text
    client.post(
        reverse(CHANGELIST),
        {"action": "retry_now", "_selected_action": [str(dead_item.pk)], "index": "0"},
    )
    dead_item.refresh_from_db()
    assert dead_item.state == OutboxItem.State.PENDING


@pytest.mark.django_db
def test_it_shows_the_list_to_staff_with_view_permission_but_not_the_retry(client, dead_item):
    staff = staff_with_role("Viewer")
    staff.user_permissions.add(Permission.objects.get(codename="view_outboxitem"))

    response = back_office(client, staff).get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert dead_item in response.context["cl"].result_list
    assert "retry_now" not in response.text

    client.post(
        reverse(CHANGELIST),
        {"action": "retry_now", "_selected_action": [str(dead_item.pk)], "index": "0"},
    )
    dead_item.refresh_from_db()
    assert dead_item.state == OutboxItem.State.DEAD

    staff.user_permissions.add(Permission.objects.get(codename="retry_outboxitem"))
    client.post(
        reverse(CHANGELIST),
        {"action": "retry_now", "_selected_action": [str(dead_item.pk)], "index": "0"},
    )
    dead_item.refresh_from_db()
    assert dead_item.state == OutboxItem.State.PENDING


@pytest.mark.django_db
def test_it_hides_the_outbox_from_staff_without_permission(client, dead_item):
    staff = staff_with_role("Viewer")
    response = back_office(client, staff).get(reverse(CHANGELIST))
    assert response.status_code == 403


@pytest.mark.django_db
def test_it_only_retries_dead_items(dead_item):
    pending = outbox.enqueue(tasks.succeed, "r-2")
    assert outbox.retry_dead([dead_item, pending]) == 1
    pending.refresh_from_db()
    assert pending.state == OutboxItem.State.PENDING
    assert outbox.retry_dead([dead_item]) == 0  # no longer dead
