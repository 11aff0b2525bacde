"""A rights request from the hosted form to its answer: the form, the verification link in
the email (real SMTP), deadlines, and each right carried out through the registry."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from gardien.audit.services import Actor
from gardien.contact.models import ContactMessage
from gardien.lib import clock
from gardien.newsletter.models import ConsentProof, Subscription
from gardien.rights import fulfil, services
from gardien.rights.models import CaseEvent, IdentityDocument, RightsRequest
from gardien.vault import services as vault
from gardien.vault.models import Person, Restriction
from tests.mailserver import MailServer, serving

pytestmark = pytest.mark.django_db

ADA = "ada@example.org"
DPO = Actor.system()


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.GARDIEN_ALTCHA = False
    settings.SITE_URL = "https://gardien.coopo.example"


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    with serving(settings) as server:
        yield server


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "last_name": "Lovelace",
        "first_name": "Ada",
        "email": ADA,
        "postal_address": "",
        "request": "Please send me everything you hold.",
        "rights": ["access"],
        "lang": "en",
    }
    data.update(changes)
    return data


def send_form(client: Any, t0: dt.datetime, **changes: Any) -> Any:
    with clock.frozen(t0 - dt.timedelta(minutes=5)):
        page = client.get("/en/rights/")
        issued = re.search(r'name="issued" value="([^"]+)"', page.content.decode()).group(1)
    with clock.frozen(t0):
        return client.post("/en/rights/", {**form_data(**changes), "issued": issued})


def to(server: MailServer, address: str = ADA) -> list[str]:
    """The bodies of the emails sent to ``address``, oldest first."""
    return [
        e.get_body(preferencelist=("plain",)).get_content()
        for e in server.emails()
        if e["To"] == address
    ]


def link_in(server: MailServer, path: str) -> str:
    body = to(server)[-1]
    found = re.search(r"https://gardien\.coopo\.example(/en/rights/" + path + r"/\S+)", body)
    assert found, body
    return found.group(1)


def contact_message(email: str = ADA) -> ContactMessage:
    person, _ = vault.get_or_create_person(email, actor=DPO)
    return ContactMessage.objects.create(
        person=person,
        answers=json.dumps({"message": "Hello", "last_name": "Lovelace"}),
        lang="fr",
        policy_version=1,
        received_at=timezone.now(),
        filed_at=timezone.now(),
    )


def test_the_form_files_a_request_and_the_owner_confirms_it_by_the_link(
    client: Any, published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    response = send_form(client, t0)

    assert response.status_code == 200
    request = RightsRequest.objects.get()
    assert request.reference in response.content.decode()
    assert request.state == RightsRequest.State.AWAITING_VERIFICATION
    assert request.rights == ["access"]
    run_worker(t0)
    [email] = [e for e in smtp.emails() if e["To"] == ADA]
    assert request.reference in email["Subject"]
    link = link_in(smtp, "verify")

    page = client.get(link)
    assert page.status_code == 200 and RightsRequest.objects.get().verified_at is None
    assert client.post(link).status_code == 200
    request.refresh_from_db()
    assert request.state == RightsRequest.State.VERIFIED
    assert client.post(link).status_code == 404  # once
    kinds = list(CaseEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["received", "verified"]


def test_the_due_date_is_one_calendar_month_later(published: Any) -> None:
    for received, due in [
        (dt.datetime(2027, 1, 31, 10, tzinfo=dt.UTC), dt.date(2027, 2, 28)),
        (dt.datetime(2028, 1, 31, 10, tzinfo=dt.UTC), dt.date(2028, 2, 29)),
        (dt.datetime(2027, 8, 31, 10, tzinfo=dt.UTC), dt.date(2027, 9, 30)),
        (dt.datetime(2028, 2, 29, 10, tzinfo=dt.UTC), dt.date(2028, 3, 29)),
    ]:
        with clock.frozen(received + dt.timedelta(hours=1)):
            request = services.create(
                channel="post",
                received_at=received,
                rights=["access"],
                postal_address="1 rue X",
                actor=DPO,
            )
        assert timezone.localtime(request.due_at).date() == due, received


def test_a_request_about_x_from_y_writes_to_x_and_tells_y_nothing(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    with clock.frozen(t0):
        services.create(
            channel="email",
            received_at=t0,
            rights=["access"],
            email=ADA,
            reply_email="mallory@example.org",
            actor=DPO,
        )
    run_worker(t0)

    emails = {e["To"]: e.get_body(preferencelist=("plain",)).get_content() for e in smtp.emails()}
    assert set(emails) == {ADA, "mallory@example.org", "rgpd@coopo.fr"}  # the DPO's list
    assert "/rights/verify/" in emails[ADA]
    generic = emails["mallory@example.org"]
    assert "/rights/" not in generic and ADA not in generic
    assert "Lovelace" not in generic and "Hello" not in generic


def test_access_sends_a_single_use_link_to_everything_held(
    client: Any, published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    send_form(client, t0)
    run_worker(t0)
    client.post(link_in(smtp, "verify"))
    request = RightsRequest.objects.get()

    fulfil.send_package(request, kind="access", actor=DPO)
    run_worker(t0)
    link = link_in(smtp, "download")
    assert client.get(link).status_code == 200
    response = client.post(link)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["activities"]["contact"][0]["answers"]
    letter = archive.read("letter.html").decode()
    assert archive.read("letter.pdf").startswith(b"%PDF-")
    assert "Contact form" in letter and "CNIL" in letter, letter
    assert client.post(link).status_code == 404  # single use
    assert "access_downloaded" in CaseEvent.objects.values_list("kind", flat=True)


def test_access_after_erasure_answers_that_nothing_is_held(
    client: Any, published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    send_form(client, t0, rights=["erasure"])
    run_worker(t0)
    client.post(link_in(smtp, "verify"))
    erasure = RightsRequest.objects.get()
    fulfil.erase(erasure, actor=DPO)
    run_worker(t0)
    assert not ContactMessage.objects.exists() and not Person.objects.exists()
    services.close(erasure, actor=DPO)

    send_form(client, t0 + dt.timedelta(minutes=10))
    run_worker(t0 + dt.timedelta(minutes=10))
    client.post(link_in(smtp, "verify"))
    access = RightsRequest.objects.exclude(pk=erasure.pk).get()
    fulfil.send_package(access, kind="access", actor=DPO)
    run_worker(t0 + dt.timedelta(minutes=10))

    assert "holds no personal data about you" in to(smtp)[-1]


def test_nothing_is_done_before_verification(published: Any) -> None:
    request = services.create(
        channel="email", received_at=clock.now(), rights=["erasure"], email=ADA, actor=DPO
    )
    contact_message(ADA)
    with pytest.raises(services.RightsError, match="not verified"):
        fulfil.erase(request, actor=DPO)
    assert ContactMessage.objects.exists()


def test_an_extension_before_the_due_date_and_none_after(
    published: Any, smtp: MailServer, run_worker: Any
) -> None:
    received = dt.datetime(2027, 1, 31, 10, tzinfo=dt.UTC)
    with clock.frozen(received):
        request = services.create(
            channel="email", received_at=received, rights=["access"], email=ADA, actor=DPO
        )
    with clock.frozen(dt.datetime(2027, 2, 20, tzinfo=dt.UTC)):
        with pytest.raises(services.RightsError, match="reasons"):
            services.extend(request, reason=" ", actor=DPO)
        services.extend(request, reason="Many systems to search.", actor=DPO)
    assert timezone.localtime(request.extended_to).date() == dt.date(2027, 4, 28)
    run_worker(dt.datetime(2027, 2, 20, 1, tzinfo=dt.UTC))
    assert "Many systems to search." in to(smtp)[-1]

    with clock.frozen(received):
        late = services.create(
            channel="post", received_at=received, rights=["access"], postal_address="x", actor=DPO
        )
    with (
        clock.frozen(dt.datetime(2027, 3, 1, tzinfo=dt.UTC)),
        pytest.raises(services.RightsError, match="has passed"),
    ):
        services.extend(late, reason="Too late", actor=DPO)


def test_a_refusal_states_reasons_and_the_complaint_route(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    with clock.frozen(t0):
        request = services.create(
            channel="email", received_at=t0, rights=["access"], email=ADA, actor=DPO, lang="en"
        )
        services.refuse(request, reason="The fifth identical request this week.", actor=DPO)
    run_worker(t0)
    refusal = to(smtp)[-1]
    assert "The fifth identical request this week." in refusal
    assert "https://www.cnil.fr/fr/plaintes" in refusal and "judicial remedy" in refusal
    request.refresh_from_db()
    assert request.state == RightsRequest.State.REFUSED and request.closed_at is not None


def test_closing_destroys_the_identity_document(published: Any, settings: Any) -> None:
    from django.core.files.base import ContentFile

    request = services.create(
        channel="post", received_at=clock.now(), rights=["access"], postal_address="x", actor=DPO
    )
    document = IdentityDocument(request=request, asked_at=clock.now(), uploaded_at=clock.now())
    document.document.save("id.pdf", ContentFile(b"%PDF-1.4 secret"), save=True)
    path = document.document.path

    services.close(request, actor=DPO)

    assert not IdentityDocument.objects.exists()
    import os

    assert not os.path.exists(path)
    assert "identity_document_destroyed" in CaseEvent.objects.values_list("kind", flat=True)


def test_restriction_and_its_lifting_told_first(
    client: Any, published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    send_form(client, t0, rights=["restriction"])
    run_worker(t0)
    client.post(link_in(smtp, "verify"))
    request = RightsRequest.objects.get()

    assert fulfil.restrict(request, actor=DPO, ground=Restriction.Ground.LEGAL_CLAIMS)
    person = Person.objects.get()
    assert vault.is_restricted(person.pk, "contact")
    fulfil.lift(request, actor=DPO)
    assert vault.is_restricted(person.pk, "contact")  # not before the notice went
    run_worker(t0)
    assert not vault.is_restricted(person.pk, "contact")
    assert "about to lift" in to(smtp)[-1]


def test_withdrawal_unsubscribes_as_the_link_would(published: Any, t0: dt.datetime) -> None:
    from gardien.lib import crypto

    person, _ = vault.get_or_create_person(ADA, actor=DPO)
    proof = ConsentProof.objects.create(
        person=person,
        email_hash=crypto.blind_index(ADA),
        lang="fr",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        signed_up_at=t0,
        confirmed_at=t0,
    )
    Subscription.objects.create(person=person, lang="fr", proof=proof, confirmed_at=t0)
    request = services.create(
        channel="email", received_at=clock.now(), rights=["withdrawal"], email=ADA, actor=DPO
    )
    services.mark_verified(request, actor=DPO, how="known correspondent")

    fulfil.withdraw(RightsRequest.objects.get(), actor=DPO)

    assert not Subscription.objects.exists()
    proof.refresh_from_db()
    assert proof.withdrawn_how == "rights request"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"rights": []}, "Tick at least one right"),
        ({"email": "", "postal_address": ""}, "email or a postal address"),
        ({"colour": "blue"}, "not collected by this form"),
        ({"consent_reference": "not-a-reference"}, "not a consent reference"),
    ],
)
def test_bad_input_gets_a_sentence_and_files_nothing(
    client: Any, published: Any, t0: dt.datetime, changes: dict[str, Any], says: str
) -> None:
    response = send_form(client, t0, **changes)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not RightsRequest.objects.exists()


def test_erasure_reaches_brevo_the_cookie_proofs_and_every_activity(
    client: Any,
    published: Any,
    smtp: MailServer,
    run_worker: Any,
    t0: dt.datetime,
    fake_brevo: Any,
    settings: Any,
) -> None:
    """A contact message, a newsletter subscription held at Brevo and the cookie proofs of
    a quoted consent reference: one erasure removes them all, Brevo through its API."""
    from urllib.parse import quote

    from gardien.consent.models import ConsentRecord
    from gardien.lib import crypto
    from gardien.newsletter import services as newsletter
    from gardien.newsletter.models import ProcessorSync

    for key, value in fake_brevo.settings.items():
        setattr(settings, key, value)
    contact_message(ADA)
    person = vault.find_person(ADA)
    proof = ConsentProof.objects.create(
        person=person,
        email_hash=crypto.blind_index(ADA),
        lang="fr",
        source="page",
        policy_version=1,
        statement_sha256="0" * 64,
        signed_up_at=t0,
        confirmed_at=t0,
    )
    Subscription.objects.create(person=person, lang="fr", proof=proof, confirmed_at=t0)
    newsletter.want(ADA, ProcessorSync.Wanted.SUBSCRIBED, person=person)
    run_worker(t0)
    assert ADA in fake_brevo.contacts
    reference = "A" * 22
    ConsentRecord(
        consent_id=reference,
        recorded_at=t0,
        action="accept_all",
        decisions={"audience": True},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
    ).save()

    send_form(client, t0, rights=["erasure"], consent_reference=reference)
    run_worker(t0)
    client.post(link_in(smtp, "verify"))
    fulfil.erase(RightsRequest.objects.get(), actor=DPO)
    run_worker(t0)

    assert not ContactMessage.objects.exists() and not Subscription.objects.exists()
    assert not Person.objects.exists()
    assert not ConsentRecord.objects.filter(consent_id=reference).exists()
    assert ADA not in fake_brevo.contacts
    path = f"/v3/contacts/{quote(ADA, safe='')}"
    assert any(r.method == "DELETE" and r.path.startswith(path) for r in fake_brevo.requests)
    assert "has carried out your request" in to(smtp)[-1]
    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    assert {"erased", "recipient_synced", "recipient_to_tell"} <= kinds
