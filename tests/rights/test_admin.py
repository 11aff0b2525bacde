"""Rights requests in the back office: the DPO's queue (open first, by deadline, flagged), a
case page (what the person wrote, the dates, the timeline, the actions), entering a request
that came by email or post, and the dashboard's block. Only the DPO (and a superuser) sees
any of it; every action goes through the services as the staff account."""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor
from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.contact.models import ContactMessage
from gardien.lib import clock, crypto
from gardien.newsletter.models import ConsentProof, Subscription
from gardien.processors.models import OutboxItem
from gardien.rights import identity, recipients, services
from gardien.rights.models import CaseEvent, IdentityDocument, RightsRequest
from gardien.vault import services as vault
from gardien.vault.models import Person, Restriction
from tests.backoffice.helpers import (
    LOGIN,
    PASSWORD,
    Account,
    new_client,
    otp_session_client,
    verified_client,
)
from tests.mailserver import MailServer, serving

pytestmark = pytest.mark.django_db

LIST = "/admin/rights/rightsrequest/"
ADD = f"{LIST}add/"
NOW = "2027-02-10T10:00:00Z"
ADA = "ada@example.org"
SYSTEM = Actor.system()


@pytest.fixture(autouse=True)
def _setup(settings: Any) -> None:
    # Argon2 costs half a second a hash; these tests are about the DPO's pages.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.GARDIEN_NOW = NOW


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def client_of(persona: str) -> Client:
    if persona == "anonymous":
        return new_client()
    user_model = get_user_model()
    if persona == "outsider":  # staff with two factors but no role
        user = user_model.objects.create_user("outsider-rr", password=PASSWORD, is_staff=True)
        return otp_session_client(Account(user, PASSWORD, accounts.provision_two_factor(user)))
    if persona == "superuser":
        user = user_model.objects.create_superuser("root-rr", password=PASSWORD)
        return otp_session_client(Account(user, PASSWORD, accounts.provision_two_factor(user)))
    user, password, two_factor = accounts.create_account(f"{persona}-rr", BY_SLUG[persona])
    return verified_client(Account(user, password, two_factor))


@pytest.fixture
def dpo(published: Any) -> Client:
    return client_of("dpo")


def file(
    received: dt.datetime,
    *,
    rights: tuple[str, ...] = ("access",),
    channel: str = "email",
    **fields: Any,
) -> RightsRequest:
    if channel == "email":
        fields.setdefault("email", ADA)
    else:
        fields.setdefault("postal_address", "12 rue des Lilas\n69001 Lyon")
    return services.create(
        channel=channel, received_at=received, rights=list(rights), actor=SYSTEM, **fields
    )


def verified(received: dt.datetime | None = None, **fields: Any) -> RightsRequest:
    request = file(received or clock.now(), **fields)
    return services.mark_verified(request, actor=SYSTEM, how="known correspondent")


def contact_message(email: str = ADA) -> ContactMessage:
    person, _ = vault.get_or_create_person(email, actor=SYSTEM)
    return ContactMessage.objects.create(
        person=person,
        answers=json.dumps({"message": "Hello", "last_name": "Lovelace"}),
        lang="fr",
        policy_version=1,
        received_at=clock.now(),
        filed_at=clock.now(),
    )


def case_url(request: RightsRequest) -> str:
    return f"{LIST}{request.pk}/change/"


def act(client: Client, request: RightsRequest, action: str, **data: Any) -> Any:
    """Post one action of the case page, its confirmation ticked."""
    return client.post(case_url(request), {"action": action, "confirm": "on", **data})


def done(client: Client, request: RightsRequest, action: str, **data: Any) -> str:
    """Post an action that must succeed; the case page it leads to."""
    response = act(client, request, action, **data)
    assert response.status_code == 302, _errors(response.text)
    assert response["Location"] == case_url(request)
    return str(client.get(case_url(request)).text)


def _errors(html: str) -> list[str]:
    return re.findall(r'<li class="error">(.*?)</li>', html, re.S)


def success(html: str) -> list[str]:
    return re.findall(r'<li class="success">(.*?)</li>', html, re.S)


def listed(html: str) -> list[str]:
    """The requests of the list page, top to bottom (their ids)."""
    found = re.findall(r'href="/admin/rights/rightsrequest/([0-9a-f-]{36})/change/', html)
    return list(dict.fromkeys(found))


def row_of(html: str, request: RightsRequest) -> str:
    found = re.search(rf"<tr>(?:(?!</tr>).)*{request.reference}.*?</tr>", html, re.S)
    assert found, request.reference
    return found.group(0)


def kinds(request: RightsRequest) -> list[str]:
    return list(CaseEvent.objects.filter(request=request).values_list("kind", flat=True))


# --- who sees what ----------------------------------------------------------------------

PERSONAS = ("dpo", "superuser", "staff", "viewer", "outsider", "anonymous")
EXPECTED = {
    "dpo": 200,
    "superuser": 200,
    "staff": 403,
    "viewer": 403,
    "outsider": "login",
    "anonymous": "login",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_dpo_opens_the_queue_a_case_and_the_form(persona, published):
    request = file(at("2027-02-01"))
    client = client_of(persona)
    for page in (LIST, case_url(request), ADD, f"{LIST}{request.pk}/history/"):
        response = client.get(page)
        expected = EXPECTED[persona]
        if expected == "login":
            assert response.status_code == 302, page
            assert response["Location"].startswith(LOGIN + "?next="), page
        else:
            assert response.status_code == expected, page
    if EXPECTED[persona] == 200:
        assert AuditEntry.objects.filter(action="view", target_ref=str(request.pk)).exists()
    else:
        assert not AuditEntry.objects.filter(action="view").exists()


@pytest.mark.parametrize("persona", ["staff", "viewer", "outsider", "anonymous"])
def test_nobody_but_the_dpo_acts_or_files(persona, published):
    request = file(at("2027-02-01"))
    client = client_of(persona)

    response = act(client, request, "close")
    assert response.status_code in (302, 403)
    response = client.post(
        ADD,
        {"received_on": "2027-02-01", "channel": "post", "rights": ["access"], "lang": "fr"}
        | {"postal_address": "1 rue X"},
    )
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].startswith(LOGIN)

    request.refresh_from_db()
    assert request.closed_at is None
    assert RightsRequest.objects.count() == 1


@pytest.mark.parametrize("persona", ["dpo", "superuser", "staff", "viewer"])
def test_only_the_dpo_sees_the_block_on_the_dashboard(persona, published):
    file(at("2027-01-05"))  # overdue
    file(at("2027-01-14"))  # due soon
    file(at("2027-02-08"))
    home = client_of(persona).get("/admin/")
    assert home.status_code == 200
    block = re.search(r'<div class="module" id="rights-summary">.*?</div>', home.text, re.S)
    if persona in ("staff", "viewer"):
        assert block is None
        assert LIST not in home.text
        return
    assert block, "no rights block"
    counts = re.findall(r"<th scope=\"row\">(.*?)</th><td>(\d+)</td>", block.group(0))
    assert [n for _, n in counts] == ["3", "1", "1"]
    assert "Overdue" in counts[1][0] and "Due within 7 days" in counts[2][0]
    assert f"{LIST}?open=yes" in block.group(0) and ADD in block.group(0)


def test_the_app_gives_no_role_but_the_dpo_a_permission(published):
    from django.contrib.auth.models import Group

    for name in ("Staff", "Viewer"):
        held = Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", flat=True
        )
        assert "rights" not in set(held), name
    dpo_held = set(Group.objects.get(name="DPO").permissions.values_list("codename", flat=True))
    assert {"view_rightsrequest", "add_rightsrequest", "change_rightsrequest"} <= dpo_held


# --- the queue --------------------------------------------------------------------------


@pytest.fixture
def queue(published: Any) -> dict[str, RightsRequest]:
    """Five requests, seen on 10 February 2027: overdue, due soon, not yet due, extended,
    closed."""
    overdue = file(at("2027-01-05"), rights=("access", "erasure"))  # due 5 February
    soon = file(at("2027-01-14"), channel="post")  # due 14 February
    later = file(at("2027-02-08"), rights=("portability",))  # due 8 March
    with clock.frozen(at("2027-01-20")):
        extended = file(at("2027-01-02"))  # due 2 February, extended to 2 April
        services.extend(extended, reason="Many systems to search.", actor=SYSTEM)
    closed = file(at("2027-01-01"))
    services.close(closed, actor=SYSTEM)
    return {
        "overdue": overdue,
        "soon": soon,
        "later": later,
        "extended": extended,
        "closed": closed,
    }


def test_the_queue_lists_open_requests_first_by_deadline_with_flags(dpo, queue):
    page = dpo.get(LIST)
    assert page.status_code == 200
    html = page.text

    order = ["overdue", "soon", "later", "extended", "closed"]
    assert listed(html) == [str(queue[name].pk) for name in order]
    assert "overdue</strong>" in row_of(html, queue["overdue"])
    assert "due soon</strong>" in row_of(html, queue["soon"])
    for name in ("later", "extended", "closed"):
        row = row_of(html, queue[name])
        assert "rights-overdue" not in row and "rights-due-soon" not in row, name
    assert "(extended)" in row_of(html, queue["extended"])
    overdue_row = row_of(html, queue["overdue"])
    assert "access to my data, erasure" in overdue_row
    assert "waiting for the person to confirm" in overdue_row and "email" in overdue_row
    assert "post" in row_of(html, queue["soon"])
    assert "within 7 days" in html  # the page says what the flags mean
    assert ADD in html and "Enter a request received by email or post" in html


def test_the_flags_follow_the_clock(dpo, queue):
    with clock.frozen(at("2027-03-03")):
        html = dpo.get(LIST).text
    assert "overdue</strong>" in row_of(html, queue["soon"])
    assert "due soon</strong>" in row_of(html, queue["later"])
    assert "rights-due-soon" not in row_of(html, queue["extended"])
    with clock.frozen(at("2027-03-30")):
        html = dpo.get(LIST).text
    assert "due soon</strong>" in row_of(html, queue["extended"])


def test_the_queue_filters_by_open_state_and_channel(dpo, queue):
    def ids(query: dict[str, str]) -> set[str]:
        return set(listed(dpo.get(LIST, query).text))

    everyone = {str(r.pk) for r in queue.values()}
    assert ids({"open": "yes"}) == everyone - {str(queue["closed"].pk)}
    assert ids({"open": "no"}) == {str(queue["closed"].pk)}
    assert ids({"channel": "post"}) == {str(queue["soon"].pk)}
    assert ids({"state": "closed"}) == {str(queue["closed"].pk)}
    assert ids({"q": queue["later"].reference.lower()}) == {str(queue["later"].pk)}


def test_the_list_shows_no_name_and_no_address(dpo, published):
    file(
        at("2027-02-01"),
        email="grace.hopper@example.org",
        reply_email="someone.else@example.org",
        last_name="Hopper",
        first_name="Grace",
        postal_address="7 impasse Cobol",
        details="Je veux tout savoir",
    )
    html = dpo.get(LIST).text
    for value in ("grace.hopper", "someone.else", "Hopper", "Grace", "Cobol", "tout savoir"):
        assert value not in html, value
    assert not AuditEntry.objects.filter(action="view").exists()


# --- the case page ----------------------------------------------------------------------


def test_the_case_page_shows_the_request_its_dates_and_its_timeline(dpo, published):
    request = file(
        at("2027-01-31"),
        rights=("access", "erasure"),
        email=ADA,
        reply_email="mallory@example.org",
        last_name="Lovelace",
        first_name="Ada",
        postal_address="10 rue de l'Analyse",
        details="Tout <script>alert(1)</script>",
        lang="en",
    )
    page = dpo.get(case_url(request))
    assert page.status_code == 200
    html = page.text
    assert request.reference in html
    for text in (
        "access to my data, erasure",
        "email",
        "English",
        "Lovelace",
        ADA,
        "mallory@example.org",
        "10 rue de l&#x27;Analyse",
        "Tout &lt;script&gt;alert(1)&lt;/script&gt;",
        "Feb. 28, 2027",  # due, one calendar month after 31 January
        "Waiting for the person to confirm.",
    ):
        assert text in html, text
    assert "<script>alert(1)" not in html
    timeline = re.search(r'id="rights-timeline">.*?</table>', html, re.S).group(0)
    assert "request received" in timeline
    assert "access to my data, erasure (email)" in timeline
    assert "Gardien, automatically" in timeline

    # Only the verification, a proof of identity, the extension, refusal and closing are
    # offered before it is verified.
    offered = re.findall(r'id="action-(\w+)"', html)
    assert offered == ["verify", "identity", "extend", "refuse", "close"]
    assert "appear once the identity is verified" in html
    assert html.count('name="csrfmiddlewaretoken"') >= len(offered)

    entry = AuditEntry.objects.get(action="view")
    assert (entry.actor_kind, entry.target_ref) == ("staff", str(request.pk))
    assert entry.target_type == "rights.rightsrequest"


def test_the_timeline_names_the_staff_account_in_words(dpo, published):
    request = file(at("2027-02-01"), rights=("restriction",))
    contact_message()
    done(dpo, request, "verify", how="signed letter compared with the one on file")
    html = done(dpo, request, "restrict", ground=Restriction.Ground.LEGAL_CLAIMS)
    timeline = re.search(r'id="rights-timeline">.*?</table>', html, re.S).group(0)
    steps = re.findall(
        r"<tr><td>[^<]*</td><th scope=\"row\">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td></tr>",
        timeline,
    )
    steps = [s for s in steps if not s[2].startswith("restriction: ")]  # Art. 19 notices
    assert steps == [
        ("request received", "Gardien, automatically", "restriction of processing (email)"),
        ("identity verified", "dpo-rr", "signed letter compared with the one on file"),
        (
            "processing restricted, the person told",
            "dpo-rr",
            "needed by the person for legal claims (Art. 18(1)(c))",
        ),
    ]


def test_an_unknown_case_is_not_found(dpo):
    assert dpo.get(f"{LIST}00000000-0000-0000-0000-000000000000/change/").status_code == 404
    assert dpo.get(f"{LIST}not-a-uuid/change/").status_code == 404


def test_csrf_protects_the_actions(published):
    request = file(at("2027-02-01"))
    user, password, two_factor = accounts.create_account("dpo-csrf", BY_SLUG["dpo"])
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = Account(user, password, two_factor).device.persistent_id
    session.save()

    assert client.get(case_url(request)).status_code == 200
    assert act(client, request, "close").status_code == 403
    request.refresh_from_db()
    assert request.closed_at is None


# --- the actions ------------------------------------------------------------------------


def test_verify_says_how_and_needs_the_confirmation(dpo, published):
    request = file(at("2027-02-01"), channel="post")

    response = act(dpo, request, "verify", how="  ")
    assert response.status_code == 400
    assert _errors(response.text) == ["Say how the identity was verified."]
    response = dpo.post(case_url(request), {"action": "verify", "how": "letter signed"})
    assert _errors(response.text) == ["Tick the box to confirm; nothing was done."]
    response = act(dpo, request, "verify", how="answered from ada@example.org")
    assert "Do not write an email address here" in _errors(response.text)[0]
    assert "answered from ada@example.org" in response.text  # what was typed is kept
    request.refresh_from_db()
    assert request.state == RightsRequest.State.AWAITING_VERIFICATION
    assert kinds(request) == ["received"]

    html = done(dpo, request, "verify", how="letter signed, compared with the one on file")
    request.refresh_from_db()
    assert request.state == RightsRequest.State.VERIFIED and request.verified_at is not None
    assert success(html) == [
        "The identity is recorded as verified. You can now answer the request."
    ]
    offered = re.findall(r'id="action-(\w+)"', html)
    assert "verify" not in offered
    assert {"access", "portability", "erase", "restrict", "object", "withdraw"} <= set(offered)


def test_extend_before_the_due_date_and_not_after(dpo, published):
    request = file(at("2027-01-31"))
    early = file(at("2027-01-05"))  # due 5 February: passed on 10 February

    response = act(dpo, request, "extend", reason="")
    assert _errors(response.text) == [
        "Give the reasons for the extension: they are sent to the person."
    ]
    response = act(dpo, early, "extend", reason="Many systems to search.")
    assert response.status_code == 400
    [error] = _errors(response.text)
    assert "The due date (Feb. 5, 2027) has passed" in error
    assert "Answer the request now." in error
    assert "Many systems to search." in response.text  # the reasons typed are kept
    early.refresh_from_db()
    assert early.extended_to is None and kinds(early) == ["received"]

    html = done(dpo, request, "extend", reason="Many systems to search.")
    request.refresh_from_db()
    assert timezone.localtime(request.extended_to).date() == dt.date(2027, 4, 28)
    assert "The deadline is now April 28, 2027." in success(html)[0]
    assert "Many systems to search." in html
    assert 'id="action-extend"' not in html  # only once
    assert OutboxItem.objects.filter(task_path__endswith="send_extension").exists()


def test_refuse_needs_reasons_then_closes(dpo, published):
    request = file(at("2027-02-01"))

    response = act(dpo, request, "refuse", reason="   ")
    assert _errors(response.text) == [
        "Give the reasons for the refusal: the person must be told them."
    ]
    request.refresh_from_db()
    assert request.state == RightsRequest.State.AWAITING_VERIFICATION
    assert request.closed_at is None

    html = done(dpo, request, "refuse", reason="The fifth identical request this week.")
    request.refresh_from_db()
    assert request.state == RightsRequest.State.REFUSED and request.closed_at is not None
    assert "The fifth identical request this week." in html
    assert "This request is closed. To act again, enter a new request." in html
    assert not re.findall(r'id="action-(\w+)"', html)


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_the_packages_are_sent_only_once_verified(dpo, published, kind):
    waiting = file(at("2027-02-01"))
    response = act(dpo, waiting, kind)
    assert response.status_code == 400
    assert "identity is not verified yet" in _errors(response.text)[0]
    assert kinds(waiting) == ["received"]

    request = verified(rights=(kind,))
    html = done(dpo, request, kind)
    assert f"{kind}_sent" in kinds(request)
    assert "single-use link" in success(html)[0]
    links = OutboxItem.objects.filter(task_path__endswith="send_package_link")
    assert [item.arguments["args"] for item in links] == [[str(request.pk), kind]]
    request.refresh_from_db()
    assert request.answered_at is not None


def test_erase_removes_the_persons_contact_message(dpo, published):
    contact_message(ADA)
    contact_message("someone@example.org")
    request = verified(rights=("erasure",))

    response = dpo.post(case_url(request), {"action": "erase", "activity": ""})  # not confirmed
    assert response.status_code == 400
    assert ContactMessage.objects.count() == 2

    html = done(dpo, request, "erase", activity="")
    assert ContactMessage.objects.count() == 1
    assert vault.find_person(ADA) is None
    assert vault.find_person("someone@example.org") is not None
    assert "Erased:" in success(html)[0]
    assert "data erased, the processors and the person told" in html
    assert 'class="rights-action asked" id="action-erase"' in html  # the right asked


def test_erase_one_activity_keeps_the_person(dpo, published):
    contact_message(ADA)
    request = verified(rights=("erasure",))

    response = act(dpo, request, "erase", activity="no-such-activity")
    assert _errors(response.text) == ["Choose what to erase from the list."]
    assert ContactMessage.objects.exists()

    done(dpo, request, "erase", activity="contact")
    assert not ContactMessage.objects.exists()
    assert Person.objects.filter(pk=vault.find_person(ADA).pk).exists()


def test_restrict_and_lift(dpo, published):
    contact_message(ADA)
    request = verified(rights=("restriction",))

    response = act(dpo, request, "restrict", ground="")
    assert _errors(response.text) == ["Choose the ground of the restriction."]
    html = done(dpo, request, "restrict", ground=Restriction.Ground.UNLAWFUL)
    person = vault.find_person(ADA)
    assert vault.is_restricted(person.pk)
    assert Restriction.objects.get().ground == Restriction.Ground.UNLAWFUL
    assert success(html) == ["Processing is restricted. The person is told by email."]

    request.refresh_from_db()
    html = done(dpo, request, "lift")
    assert "lift_announced" in kinds(request)
    assert vault.is_restricted(person.pk)  # lifted only once the person is told
    assert "will be lifted" in success(html)[0]


def test_restrict_when_nothing_is_held_says_so(dpo, published):
    request = verified(rights=("restriction",))
    html = done(dpo, request, "restrict", ground=Restriction.Ground.ACCURACY)
    assert "We hold no data about this person" in success(html)[0]
    assert "restriction asked, but no data is held about the person" in html


def test_an_objection_erases_or_with_compelling_grounds_restricts(dpo, published):
    contact_message(ADA)
    request = verified(rights=("objection",))

    response = act(dpo, request, "object", activity="")
    assert _errors(response.text) == ["Choose the processing the person objects to."]
    html = done(dpo, request, "object", activity="contact", compelling="Pending litigation.")
    assert ContactMessage.objects.exists()
    assert vault.is_restricted(vault.find_person(ADA).pk, "contact")
    assert "restricted while you examine" in success(html)[0]
    assert "objection: the data restricted" in html and "Contact form" in html

    html = done(dpo, request, "object", activity="contact", compelling="")
    assert not ContactMessage.objects.exists()
    assert success(html) == ["The data of this processing is erased. The person is told."]


def test_withdraw_unsubscribes(dpo, published):
    person, _ = vault.get_or_create_person(ADA, actor=SYSTEM)
    now = clock.now()
    proof = ConsentProof.objects.create(
        person=person,
        email_hash=crypto.blind_index(ADA),
        lang="fr",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        signed_up_at=now,
        confirmed_at=now,
    )
    Subscription.objects.create(person=person, lang="fr", proof=proof, confirmed_at=now)
    request = verified(rights=("withdrawal",))

    html = done(dpo, request, "withdraw")
    assert not Subscription.objects.exists()
    proof.refresh_from_db()
    assert proof.withdrawn_how == "rights request"
    assert "consent withdrawn" in html


def test_close_then_nothing_more(dpo, published):
    request = verified(rights=("access",))
    html = done(dpo, request, "close")
    request.refresh_from_db()
    assert request.state == RightsRequest.State.CLOSED and request.closed_at is not None
    assert "request closed" in html and "Closed on" in html

    response = act(dpo, request, "close")
    assert response.status_code == 400
    assert _errors(response.text) == ["This request is closed already."]
    response = act(dpo, request, "erase", activity="")
    assert "This request is closed; open a new one to act again." in _errors(response.text)
    assert kinds(request).count("closed") == 1


def test_an_unknown_action_does_nothing(dpo, published):
    request = file(at("2027-02-01"))
    response = act(dpo, request, "delete")
    assert response.status_code == 400
    assert _errors(response.text) == ["This action does not exist; nothing was done."]
    assert kinds(request) == ["received"]


# --- entering a request -------------------------------------------------------------------


def enter(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "received_on": "2027-01-31",
        "channel": "post",
        "rights": ["access", "erasure"],
        "email": "",
        "reply_email": "",
        "last_name": "Lovelace",
        "first_name": "Ada",
        "postal_address": "10 rue de l'Analyse\n75005 Paris",
        "details": "Une lettre manuscrite.",
        "consent_reference": "",
        "lang": "fr",
    }
    data.update(changes)
    return data


def test_a_letter_of_31_january_is_due_at_the_end_of_february(dpo):
    page = dpo.get(ADD)
    assert page.status_code == 200
    assert 'value="2027-02-10"' in page.text  # today, as a start
    assert "the deadline counts from" in page.text

    response = dpo.post(ADD, enter())

    request = RightsRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == case_url(request)
    assert request.channel == "post" and request.rights == ["access", "erasure"]
    assert request.lang == "fr" and request.last_name == "Lovelace"
    assert timezone.localtime(request.received_at).date() == dt.date(2027, 1, 31)
    due = timezone.localtime(request.due_at)
    assert (due.date(), due.hour, due.minute) == (dt.date(2027, 2, 28), 23, 59)
    assert kinds(request) == ["received"]
    assert CaseEvent.objects.get().actor == str(get_user_model().objects.get().pk)
    html = dpo.get(case_url(request)).text
    assert f"Request {request.reference} is filed; the answer is due on Feb. 28, 2027." in html
    assert not OutboxItem.objects.filter(task_path__endswith="send_verification").exists()


def test_a_request_by_email_today_is_sent_the_link(dpo):
    response = dpo.post(
        ADD,
        enter(
            received_on="2027-02-10",
            channel="email",
            email="Ada@Example.org",
            reply_email="mallory@example.org",
            postal_address="",
            lang="en",
        ),
    )
    assert response.status_code == 302
    request = RightsRequest.objects.get()
    assert request.received_at == clock.now()
    assert (request.email, request.reply_email) == (ADA, "mallory@example.org")
    tasks = set(OutboxItem.objects.values_list("task_path", flat=True))
    assert any(t.endswith("send_verification") for t in tasks)
    assert any(t.endswith("send_generic_reply") for t in tasks)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"received_on": "2027-02-11"}, "A request cannot be received in the future"),
        ({"received_on": ""}, "Give the day the request arrived."),
        ({"received_on": "31 janvier"}, "This is not a date"),
        ({"channel": "form"}, "Say whether the request came by email or by post."),
        ({"rights": []}, "Tick at least one right."),
        ({"email": "not-an-address"}, "This is not an email address"),
        ({"postal_address": ""}, "Give an email or a postal address"),
        ({"consent_reference": "abc"}, "This is not a consent reference"),
    ],
)
def test_the_form_explains_what_is_wrong_and_files_nothing(dpo, changes, says):
    response = dpo.post(ADD, enter(**changes))
    assert response.status_code == 400
    assert says in response.text
    assert "The request was not filed" in response.text
    assert 'value="Lovelace"' in response.text  # what was typed is kept
    assert not RightsRequest.objects.exists()


def test_the_form_says_so_when_no_policy_is_published(db):
    client = client_of("dpo")
    response = client.post(ADD, enter())
    assert response.status_code == 400
    assert "No policy is published" in response.text
    assert not RightsRequest.objects.exists()


def test_the_pages_open_in_french(dpo, queue):
    for page in (LIST, case_url(queue["overdue"]), ADD, "/admin/"):
        response = dpo.get(page, headers={"Accept-Language": "fr"})
        assert response.status_code == 200, page
        assert 'lang="fr"' in response.text, page


# --- rectification ------------------------------------------------------------------------

NEW = "ada.lovelace@example.net"
MESSAGE = "contact.contactmessage"


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    settings.SITE_URL = "https://gardien.coopo.example"
    with serving(settings) as server:
        yield server


def later(minutes: int = 5) -> dt.datetime:
    """An instant by which every task the test enqueued is due."""
    return clock.now() + dt.timedelta(minutes=minutes)


def timeline(html: str) -> list[tuple[str, str, str]]:
    """The timeline's steps: what, by whom, the note."""
    table = re.search(r'id="rights-timeline">.*?</table>', html, re.S)
    assert table, "no timeline"
    return re.findall(
        r"<tr><td>[^<]*</td><th scope=\"row\">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td></tr>",
        table.group(0),
    )


def notice_rows(html: str) -> list[str]:
    block = re.search(r'id="rights-notices">.*?</div>', html, re.S)
    assert block, "no notices"
    return re.findall(
        r"<tr(?: class=\"rights-to-tell\")?><th scope=\"row\">.*?</tr>", block.group(0), re.S
    )


def options(html: str, name: str) -> list[tuple[str, str]]:
    """The (value, words) of a select of the case page."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def answers() -> dict[str, str]:
    """Ada's contact message's answers."""
    person = vault.find_person(ADA) or vault.find_person(NEW)
    return json.loads(ContactMessage.objects.get(person=person).answers)


def rectification(rights: tuple[str, ...] = ("rectification",)) -> RightsRequest:
    """A verified request for a rectification, Ada having written a contact message first."""
    contact_message(ADA)
    return verified(rights=rights, lang="en")


def correction(message: ContactMessage | None, field: str, value: str) -> dict[str, str]:
    if message is None:
        return {
            "record": f"vault.person:{vault.find_person(ADA).pk}",
            "field": field,
            "value": value,
        }
    return {"record": f"{MESSAGE}:{message.pk}", "field": field, "value": value}


def test_the_case_page_offers_rectification_only_when_asked_and_verified(dpo, published):
    contact_message(ADA)
    waiting = file(at("2027-02-01"), rights=("rectification",))
    html = dpo.get(case_url(waiting)).text
    offered = re.findall(r'id="action-(\w+)"', html)
    assert "contest" not in offered and "rectify_preview" not in offered
    assert "If they contest the accuracy of their data, record it first" in html
    assert "Gardien has no button for it" not in html

    access = verified(rights=("access",))
    offered = re.findall(r'id="action-(\w+)"', dpo.get(case_url(access)).text)
    assert "contest" not in offered and "rectify_preview" not in offered

    request = verified(rights=("rectification",))
    html = dpo.get(case_url(request)).text
    offered = re.findall(r'id="action-(\w+)"', html)
    assert {"contest", "rectify_preview"} <= set(offered) and "decide" not in offered
    assert "identity" not in offered  # verified: no proof of identity to ask
    assert 'class="rights-action asked" id="action-rectify_preview"' in html
    # The person's records in words, never their values; their fields in words.
    message = ContactMessage.objects.get()
    records = dict(options(html, "record"))
    person = vault.find_person(ADA)
    assert (
        records[f"vault.person:{person.pk}"] == "The person&#x27;s own record (their email address)"
    )
    assert records[f"{MESSAGE}:{message.pk}"].startswith(f"Contact message {message.reference}, ")
    assert f"rights.rightsrequest:{request.pk}" in records
    fields = [words for _value, words in options(html, "field")]
    for words in ("Email address", "Last name", "Status", "Organisation", "Message"):
        assert words in fields, words
    assert "Postal address" in fields  # what the person wrote on their request
    assert "Reasons for the extension" not in fields  # what staff wrote
    assert "Email address until filed" not in fields  # the address is kept on the person
    assert "Hello" not in html and "Lovelace" not in fields


def test_contest_restricts_and_deciding_lifts_once_the_person_is_told(
    dpo, published, smtp, run_worker
):
    request = rectification()
    person = vault.find_person(ADA)

    response = act(dpo, request, "contest", activity="no-such-activity")
    assert _errors(response.text) == ["Choose the data contested from the list."]
    assert not Restriction.objects.exists()

    html = done(dpo, request, "contest", activity="")
    restriction = Restriction.objects.get(person=person)
    assert restriction.ground == Restriction.Ground.ACCURACY
    assert vault.is_restricted(person.pk, "contact")
    assert "restricted while you check the accuracy contested" in success(html)[0]
    offered = re.findall(r'id="action-(\w+)"', html)
    assert "decide" in offered and "contest" not in offered
    assert (
        "the person contests the accuracy of their data: processing restricted until the DPO "
        "decides",
        "dpo-rr",
        "every activity",
    ) in timeline(html)
    # Deciding "not accurate" before any correction is refused, and changes nothing.
    response = act(dpo, request, "decide", accurate="no")
    assert response.status_code == 400
    assert "Apply the corrections first" in _errors(response.text)[0]
    response = act(dpo, request, "decide")
    assert _errors(response.text) == ["Say whether the data was accurate."]
    assert "accuracy_decided" not in kinds(request)
    # Closing waits for the decision.
    response = act(dpo, request, "close")
    assert "Decide on the contested accuracy first" in _errors(response.text)[0]

    html = done(dpo, request, "decide", accurate="yes")
    assert "the data is accurate" in success(html)[0]
    assert vault.is_restricted(person.pk)  # not before the person is told
    assert "decide" not in re.findall(r'id="action-(\w+)"', html)
    assert (
        "contested accuracy decided, the person told",
        "dpo-rr",
        "found accurate: nothing corrected",
    ) in timeline(html)

    run_worker(later())  # its retention purge ends the sessions, which expire before 2027

    assert not vault.is_restricted(person.pk)
    letters = [e for e in smtp.emails() if e["To"] == ADA]
    assert [request.reference in e["Subject"] for e in letters] == [True, True]
    contested = letters[0].get_body(preferencelist=("plain",)).get_content()
    assert "restricted (Article 18(1)(a) GDPR)" in contested
    decision = letters[1].get_body(preferencelist=("plain",)).get_content()
    assert "found it accurate" in decision and "about to lift the restriction" in decision
    assert kinds(request)[-1] == "restriction_lifted"
    user, password, two_factor = accounts.create_account("dpo-again", BY_SLUG["dpo"])
    again = verified_client(Account(user, password, two_factor))
    assert timeline(again.get(case_url(request)).text)[-1] == (
        "restriction lifted",
        "Gardien, automatically",
        "accuracy contested (Art. 18(1)(a))",
    )
    assert answers()["message"] == "Hello"


def test_contesting_one_activity_says_which(dpo, published):
    request = rectification()
    html = done(dpo, request, "contest", activity="contact")
    person = vault.find_person(ADA)
    assert vault.is_restricted(person.pk, "contact")
    assert not vault.is_restricted(person.pk, "newsletter")
    step = [s for s in timeline(html) if s[0].startswith("the person contests")]
    assert step[0][2] == "Contact form"


def test_the_preview_shows_old_and_new_and_changes_nothing(dpo, published):
    request = rectification()
    message = ContactMessage.objects.get()
    audited = AuditEntry.objects.count()

    response = dpo.post(
        case_url(request),
        {"action": "rectify_preview", **correction(message, "message", "Hello again")},
    )

    assert response.status_code == 200, _errors(response.text)
    html = response.text
    block = re.search(r'id="rectify-preview">.*?</form>', html, re.S)
    assert block, "no preview"
    preview = block.group(0)
    assert "Nothing is changed yet." in preview
    row = re.search(r"<tr><td>.*?</tr>", preview, re.S).group(0)
    assert f"Contact message {message.reference}" in row and "Message" in row
    assert re.search(r'class="rights-old">Hello</td><td class="rights-new">Hello again</td>', row)
    # The second step carries the same correction, and asks to confirm.
    for name, value in correction(message, "message", "Hello again").items():
        assert f'type="hidden" name="{name}" value="{value}"' in preview, name
    assert 'name="action" value="rectify"' in preview and 'name="confirm"' in preview
    assert "Apply this correction" in preview
    # Nothing changed: the message, the timeline; only the reading is audited.
    assert answers()["message"] == "Hello"
    assert kinds(request) == ["received", "verified"]
    assert AuditEntry.objects.count() == audited + 1
    read = AuditEntry.objects.get(action="read")
    assert (read.action, read.target_type, read.target_ref) == ("read", MESSAGE, str(message.pk))
    assert read.actor_kind == "staff"

    # Applying without ticking the box changes nothing, and shows the preview again.
    response = dpo.post(
        case_url(request),
        {"action": "rectify", **correction(message, "message", "Hello again")},
    )
    assert response.status_code == 400
    assert _errors(response.text) == ["Tick the box to confirm; nothing was done."]
    assert 'id="rectify-preview"' in response.text
    assert answers()["message"] == "Hello"


@pytest.mark.parametrize(
    ("record", "field", "value", "says"),
    [
        ("message", "message", "Hello", "already holds this value"),
        ("message", "status", "astronaut", "takes one of"),
        ("message", "last_name", "", "is required"),
        ("person", "message", "x", "This value is not one of the record chosen"),
        ("person", "email", "not an address", "is not an email address"),
        ("person", "email", "bob@example.org", "Another person"),
        ("elsewhere", "message", "x", "Choose the record to correct from the list."),
        ("message", "colour", "x", "Choose the value to correct from the list."),
    ],
)
def test_a_correction_that_cannot_be_made_says_why(dpo, published, record, field, value, says):
    request = rectification()
    message = ContactMessage.objects.get()
    theirs = contact_message("bob@example.org")
    given = {
        "message": correction(message, field, value),
        "person": correction(None, field, value),
        "elsewhere": {"record": f"{MESSAGE}:{theirs.pk}", "field": field, "value": value},
    }[record]

    for action in ("rectify_preview", "rectify"):
        response = act(dpo, request, action, **given)
        assert response.status_code == 400, action
        assert says in " ".join(_errors(response.text)), (action, _errors(response.text))
        assert 'id="rectify-preview"' not in response.text
    assert answers()["message"] == "Hello" and vault.find_person(ADA) is not None
    assert kinds(request) == ["received", "verified"]


def test_applying_corrects_a_message_and_the_persons_address(dpo, published):
    request = rectification()
    message = ContactMessage.objects.get()
    person = vault.find_person(ADA)

    html = done(dpo, request, "rectify", **correction(message, "message", "Hello again"))
    assert answers()["message"] == "Hello again"
    assert success(html) == [
        f"Corrected: Message of Contact message {message.reference}, Feb. 10, 2027. The person "
        "is told by email; the recipients to tell are listed below."
    ]

    html = done(dpo, request, "rectify", **correction(None, "email", NEW))
    assert vault.find_person(NEW) == person and vault.find_person(ADA) is None
    assert "Corrected: Email address of The person" in success(html)[0]

    steps = [s for s in timeline(html) if s[0] == "data rectified, the person told"]
    assert steps == [
        ("data rectified, the person told", "dpo-rr", "Message"),
        ("data rectified, the person told", "dpo-rr", "Email address"),
    ]
    for value in (ADA, NEW, "Hello again"):
        assert not CaseEvent.objects.filter(note__contains=value).exists()
    # The recipients of the contact form, to tell of the rectification.
    rows = notice_rows(html)
    assert rows and all("rectification" in row for row in rows)
    assert any("Google Workspace" in row and "to tell" in row for row in rows)
    assert OutboxItem.objects.filter(task_path__endswith="send_rectified").count() == 2


def test_deciding_not_accurate_after_the_correction(dpo, published):
    request = rectification()
    message = ContactMessage.objects.get()
    done(dpo, request, "contest", activity="")
    done(dpo, request, "rectify", **correction(message, "status", "employee"))

    html = done(dpo, request, "decide", accurate="no")

    assert "the data was corrected" in success(html)[0]
    assert answers()["status"] == "employee"
    assert (
        "contested accuracy decided, the person told",
        "dpo-rr",
        "found inaccurate: corrected",
    ) in timeline(html)
    assert OutboxItem.objects.filter(task_path__endswith="send_decision_then_lift").exists()


# --- Art. 19 notices ----------------------------------------------------------------------


def test_the_recipients_to_tell_are_listed_and_marked_told(dpo, published):
    request = rectification(("restriction",))
    html = done(dpo, request, "restrict", ground=Restriction.Ground.UNLAWFUL)

    rows = notice_rows(html)
    assert len(rows) == 3
    for name in ("Google Workspace", "Gardien", "mail"):
        assert any(name.lower() in row.lower() for row in rows), name
    google = next(row for row in rows if "Google Workspace" in row)
    assert "restriction" in google and "<strong>to tell</strong>" in google
    assert 'name="action" value="mark_told"' in google and 'value="google"' in google
    assert "Mark as told" in google
    assert ("recipient to tell (Art. 19)", "dpo-rr", "restriction: Google Workspace") in timeline(
        html
    )

    response = dpo.post(case_url(request), {"action": "mark_told", "recipient": "google"})
    assert _errors(response.text) == ["Tick the box to confirm; nothing was done."]
    response = act(dpo, request, "mark_told", recipient="framer")
    assert response.status_code == 400
    assert "Nothing is waiting to be told to framer" in _errors(response.text)[0]
    assert recipients.notices(request)[0].state != recipients.State.TOLD

    html = done(dpo, request, "mark_told", recipient="google")

    assert success(html) == ["Google Workspace is recorded as told, with the date and your name."]
    states = {n.recipient: n.state for n in recipients.notices(request)}
    assert states["google"] == recipients.State.TOLD
    assert [s for r, s in states.items() if r != "google"] == [recipients.State.TO_TELL] * 2
    google = next(row for row in notice_rows(html) if "Google Workspace" in row)
    assert "told on Feb. 10, 2027" in google and "by dpo-rr" in google
    assert "mark_told" not in google
    assert (
        "recipient told by the DPO (Art. 19)",
        "dpo-rr",
        "restriction: Google Workspace",
    ) in timeline(html)
    assert len([r for r in notice_rows(html) if "mark_told" in r]) == 2


def test_a_case_without_notices_says_so(dpo, published):
    html = dpo.get(case_url(file(at("2027-02-01")))).text
    assert "No recipient is to be told of anything on this request yet." in html


# --- proof of identity --------------------------------------------------------------------

REASON = "The request names an account we cannot match with the details given."


def png() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def private_files(settings: Any, tmp_path: Path) -> Path:
    settings.GARDIEN_PRIVATE_FILES_DIR = tmp_path / "private"
    return settings.GARDIEN_PRIVATE_FILES_DIR


def document_url(request: RightsRequest) -> str:
    return f"{LIST}{request.pk}/identity/"


def received(data: bytes) -> RightsRequest:
    """A request whose proof of identity was asked and uploaded."""
    request = file(at("2027-02-01"))
    identity.ask(request, reason=REASON, actor=SYSTEM)
    token = identity.new_upload_token(request)
    assert token
    assert identity.store(token, data) is not None
    return request


def test_asking_for_a_proof_by_email_sends_the_link(dpo, published):
    request = file(at("2027-02-01"))

    response = act(dpo, request, "identity", reason="  ")
    assert response.status_code == 400
    assert "Give the reason for the doubt" in _errors(response.text)[0]
    assert "identity_asked" not in kinds(request)

    html = done(dpo, request, "identity", reason=REASON)

    assert success(html) == [
        "An upload link is being sent to the address the request is about, with the reason."
    ]
    request.refresh_from_db()
    assert request.doubt_reason == REASON
    assert IdentityDocument.objects.filter(request=request, uploaded_at__isnull=True).exists()
    assert OutboxItem.objects.filter(task_path__endswith="send_identity_link").exists()
    assert (
        "proof of identity asked, the person told why",
        "dpo-rr",
        "upload link sent by email",
    ) in timeline(html)
    assert "not received yet" in html and REASON in html
    assert 'id="identity-document"' not in html
    assert "identity" in re.findall(r'id="action-(\w+)"', html)  # the link can be sent again


def test_asking_for_a_proof_by_post_only_says_so(dpo, published):
    request = file(at("2027-02-01"), channel="post")

    html = done(dpo, request, "identity", reason=REASON)

    [said] = success(html)
    assert "This request has no email address, so no upload link can be sent" in said
    assert "asks for the proof of identity by post" in said
    assert not OutboxItem.objects.filter(task_path__endswith="send_identity_link").exists()
    assert not IdentityDocument.objects.exists()
    assert (
        "proof of identity asked, the person told why",
        "dpo-rr",
        "by post: no email address",
    ) in timeline(html)


def test_the_dpo_opens_the_proof_as_an_attachment_and_it_is_audited(dpo, published, private_files):
    original = png()
    request = received(original)
    document = IdentityDocument.objects.get()

    html = dpo.get(case_url(request)).text
    assert (
        f'<a href="{document_url(request)}" id="identity-document">Open the proof of identity</a>'
        in html
    )
    assert "identity" not in re.findall(r'id="action-(\w+)"', html)  # received: not asked again
    assert ("proof of identity received", "Gardien, automatically", "a PNG picture") in timeline(
        html
    )
    assert not AuditEntry.objects.filter(action="read", target_ref=str(document.pk)).exists()

    response = dpo.get(document_url(request))

    assert response.status_code == 200
    assert response.content == original
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        f'attachment; filename="identity-{request.reference}.png"'
    )
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    entry = AuditEntry.objects.get(action="read", target_ref=str(document.pk))
    assert (entry.actor_kind, entry.target_type) == ("staff", "rights.identitydocument")
    assert entry.actor_ref == str(get_user_model().objects.get(username="dpo-rr").pk)
    assert dpo.post(document_url(request)).status_code in (403, 405)


@pytest.mark.parametrize("persona", ["superuser", "staff", "viewer", "outsider", "anonymous"])
def test_only_the_dpo_opens_the_proof(persona, published, private_files):
    request = received(png())
    response = client_of(persona).get(document_url(request))
    if persona == "superuser":
        assert response.status_code == 200
    elif persona in ("staff", "viewer"):
        assert response.status_code == 403
        assert b"PNG" not in response.content
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
    read = AuditEntry.objects.filter(action="read", target_type="rights.identitydocument")
    assert read.exists() == (persona == "superuser")


def test_no_proof_is_not_found(dpo, published, private_files):
    asked_only = file(at("2027-02-01"))
    identity.ask(asked_only, reason=REASON, actor=SYSTEM)
    assert dpo.get(document_url(asked_only)).status_code == 404
    assert dpo.get(document_url(file(at("2027-02-02")))).status_code == 404
    assert dpo.get(f"{LIST}00000000-0000-0000-0000-000000000000/identity/").status_code == 404
    assert dpo.get(f"{LIST}not-a-uuid/identity/").status_code == 404
    assert not AuditEntry.objects.filter(action="read").exists()


# --- the timeline in words ----------------------------------------------------------------


def test_every_new_step_reads_in_words(dpo, published):
    request = file(at("2027-02-01"), rights=("rectification",))
    dpo_user = get_user_model().objects.get(username="dpo-rr")
    staff = Actor.staff(dpo_user)
    for kind, note in [
        ("identity_asked", "upload link sent by email"),
        ("identity_received", "application/pdf"),
        ("accuracy_contested", ""),
        ("accuracy_contested", "newsletter"),
        ("rectified", "vault.person.email, contact.contactmessage.message"),
        ("rectified", "contact.contactmessage.status"),
        ("accuracy_decided", "accurate"),
        ("accuracy_decided", "inaccurate"),
        ("recipient_synced", "erasure: brevo (Brevo)"),
        ("recipient_to_tell", "restriction: google (Google Workspace)"),
        ("recipient_told", "rectification: google (Google Workspace)"),
        ("restriction_lifted", "accuracy"),
    ]:
        services.event(request, kind, staff if kind != "restriction_lifted" else SYSTEM, note=note)

    steps = timeline(dpo.get(case_url(request)).text)[1:]

    assert steps == [
        ("proof of identity asked, the person told why", "dpo-rr", "upload link sent by email"),
        ("proof of identity received", "dpo-rr", "a PDF document"),
        (
            "the person contests the accuracy of their data: processing restricted until the "
            "DPO decides",
            "dpo-rr",
            "every activity",
        ),
        (
            "the person contests the accuracy of their data: processing restricted until the "
            "DPO decides",
            "dpo-rr",
            "Newsletter",
        ),
        ("data rectified, the person told", "dpo-rr", "Email address, Message"),
        ("data rectified, the person told", "dpo-rr", "Status"),
        (
            "contested accuracy decided, the person told",
            "dpo-rr",
            "found accurate: nothing corrected",
        ),
        ("contested accuracy decided, the person told", "dpo-rr", "found inaccurate: corrected"),
        ("recipient told through the processor sync (Art. 19)", "dpo-rr", "erasure: Brevo"),
        ("recipient to tell (Art. 19)", "dpo-rr", "restriction: Google Workspace"),
        ("recipient told by the DPO (Art. 19)", "dpo-rr", "rectification: Google Workspace"),
        ("restriction lifted", "Gardien, automatically", "accuracy contested (Art. 18(1)(a))"),
    ]


@pytest.mark.parametrize("persona", ["staff", "viewer"])
def test_nobody_but_the_dpo_contests_corrects_or_marks_told(persona, published):
    request = rectification()
    message = ContactMessage.objects.get()
    client = client_of(persona)
    for action, data in [
        ("contest", {"activity": ""}),
        ("rectify_preview", correction(message, "message", "x")),
        ("rectify", correction(message, "message", "x")),
        ("decide", {"accurate": "yes"}),
        ("mark_told", {"recipient": "google"}),
        ("identity", {"reason": REASON}),
    ]:
        assert act(client, request, action, **data).status_code == 403, action
    assert answers()["message"] == "Hello"
    assert kinds(request) == ["received", "verified"]
    assert not Restriction.objects.exists()
