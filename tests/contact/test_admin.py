"""Contact messages in the back office: the staff and the DPO read them and mark them
answered, every opening is audited; the viewer sees counts only."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from gardien.audit.models import AuditEntry
from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.contact.models import ContactMessage
from gardien.lib import clock
from tests.backoffice.helpers import Account, verified_client

LIST = "/admin/contact/contactmessage/"
XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    # These tests are about who reads what, not about hashing passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def logged_in(db: Any) -> Any:
    """A client logged in with two factors as a new account of ``role``, and the account."""

    def log_in(role: str) -> tuple[Any, Account]:
        user, password, two_factor = accounts.create_account(f"{role}-contact", BY_SLUG[role])
        account = Account(user, password, two_factor)
        return verified_client(account), account

    return log_in


@pytest.fixture
def message(api: Any, valid: Any) -> ContactMessage:
    response = api(valid(last_name=XSS, message=f"Bonjour {XSS}\nÀ bientôt"))
    assert response.status_code == 201, response.content
    return ContactMessage.objects.get()


def change_page(message: ContactMessage) -> str:
    return f"{LIST}{message.pk}/change/"


@pytest.mark.parametrize("role", ["staff", "dpo"])
def test_it_shows_the_list_and_a_message_to_staff_and_dpo(logged_in, message, role):
    client, _account = logged_in(role)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert message.reference in listing.text
    assert "camille.durand@example.org" not in listing.text  # the list shows no answer
    page = client.get(change_page(message))
    assert page.status_code == 200
    for text in ("Camille", "Atelier du Lac", "Salarié·e", "camille.durand@example.org"):
        assert text in page.text


@pytest.mark.parametrize("role", ["staff", "dpo"])
def test_it_audits_each_opening_of_a_message_without_personal_values(logged_in, message, role):
    client, account = logged_in(role)
    client.get(LIST)
    assert not AuditEntry.objects.filter(action="view").exists()  # the list shows no answer
    client.get(change_page(message))
    client.get(change_page(message))
    views = AuditEntry.objects.filter(action="view")
    assert views.count() == 2
    for entry in views:
        assert (entry.actor_kind, entry.actor_ref) == ("staff", str(account.user.pk))
        assert (entry.target_type, entry.target_ref) == ("contact.contactmessage", str(message.pk))
    for entry in AuditEntry.objects.all():
        row = " ".join(str(v) for v in vars(entry).values())
        assert "camille" not in row.lower() and "Durand" not in row and "Atelier" not in row


@pytest.mark.parametrize("role", ["staff", "dpo"])
def test_it_marks_messages_answered_and_audits_it(logged_in, message, api, valid, role):
    other = api(valid(email="alex@example.org")).json()["reference"]
    client, account = logged_in(role)
    response = client.post(
        LIST, {"action": "mark_answered", ACTION_CHECKBOX_NAME: [str(message.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert "1 message marked as answered." in response.text
    message.refresh_from_db()
    assert message.answered_at is not None
    assert ContactMessage.objects.get(reference=other).answered_at is None
    entry = AuditEntry.objects.get(action="answer")
    assert (entry.actor_ref, entry.target_ref) == (str(account.user.pk), str(message.pk))

    # Marking it again changes nothing and is not audited twice.
    client.post(LIST, {"action": "mark_answered", ACTION_CHECKBOX_NAME: [str(message.pk)]})
    assert AuditEntry.objects.filter(action="answer").count() == 1
    waiting = client.get(LIST, {"answered": "no"}).text
    assert other in waiting and message.reference not in waiting


def test_the_viewer_may_not_open_the_list_or_a_message(logged_in, message):
    client, _account = logged_in("viewer")
    assert client.get(LIST).status_code == 403
    assert client.get(change_page(message)).status_code == 403
    assert not AuditEntry.objects.filter(action="view").exists()


def test_what_the_visitor_typed_is_shown_as_text(logged_in, message):
    client, _account = logged_in("staff")
    page = client.get(change_page(message)).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "&amp;lt;" not in page and "&lt;p&gt;" not in page  # escaped once, not twice
    assert "<p>Bonjour &lt;script&gt;alert(1)&lt;/script&gt;<br>À bientôt</p>" in page


@pytest.mark.parametrize("role", ["staff", "dpo"])
def test_a_message_is_never_added_or_deleted_by_hand(logged_in, message, role):
    client, _account = logged_in(role)
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{message.pk}/delete/").status_code == 403
    assert 'value="delete_selected"' not in client.get(LIST).text
    assert ContactMessage.objects.filter(pk=message.pk).exists()


def _counts_block(html: str) -> str:
    found = re.search(r'<div class="module" id="contact-counts">.*?</div>', html, re.S)
    assert found, "the dashboard has no block of contact messages"
    return found[0]


def _cells(block: str) -> list[str]:
    return re.findall(r"<td>(\d+)</td>", block)


def test_the_dashboard_counts_messages_for_every_role(logged_in, api, valid):
    with clock.frozen(clock.now() - dt.timedelta(days=40)):
        assert api(valid(email="old@example.org")).status_code == 201
    for n in range(3):
        assert api(valid(email=f"new{n}@example.org")).status_code == 201
    latest = ContactMessage.objects.order_by("-received_at").first()
    ContactMessage.objects.filter(pk=latest.pk).update(answered_at=clock.now())

    viewer, _account = logged_in("viewer")
    block = _counts_block(viewer.get("/admin/").text)
    assert _cells(block) == ["3", "3"]  # 3 in the last 30 days; 3 of the 4 not yet answered
    assert "Received in the last 30 days" in block and "Not yet answered" in block
    assert LIST not in block

    staff, _account = logged_in("staff")
    block = _counts_block(staff.get("/admin/").text)
    assert _cells(block) == ["3", "3"]
    assert f'href="{LIST}?answered=no"' in block
