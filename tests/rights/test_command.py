"""`gardien rights`: the DPO's rights requests from the command line, each step through the
services (audited, on the timeline), the person told by the worker over real SMTP."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor
from gardien.cli import main
from gardien.contact.models import ContactMessage
from gardien.rights.management.commands.rights import JSON_HELP
from gardien.rights.models import CaseEvent, RightsRequest
from gardien.vault import services as vault
from gardien.vault.models import Person, Restriction
from tests.english import english  # noqa: F401
from tests.mailserver import MailServer, serving

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ADA = "ada@example.org"
POSTAL = "12 rue des Lilas, 75011 Paris"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "https://gardien.coopo.example"


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    with serving(settings) as server:
        yield server


def rights(*args: str) -> str:
    out = io.StringIO()
    call_command("rights", *args, stdout=out)
    return out.getvalue()


def reference_in(out: str) -> str:
    found = re.search(r"Reference (R-[A-Z0-9]{10}),", out)
    assert found, out
    return found.group(1)


def by_post(received: str, now: str, *more: str) -> str:
    """File a request received by post; its reference."""
    return reference_in(
        rights(
            "create",
            "--received",
            received,
            "--channel",
            "post",
            "--right",
            "access",
            "--postal-address",
            POSTAL,
            "--last-name",
            "Lovelace",
            "--now",
            now,
            *more,
        )
    )


def by_email(at: dt.datetime, *more: str) -> str:
    return reference_in(
        rights(
            "create",
            "--received",
            at.isoformat(),
            "--channel",
            "email",
            "--email",
            ADA,
            "--now",
            at.isoformat(),
            *more,
        )
    )


def contact_message(email: str = ADA) -> ContactMessage:
    person, _ = vault.get_or_create_person(email, actor=Actor.system())
    return ContactMessage.objects.create(
        person=person,
        answers=json.dumps({"message": "Hello", "last_name": "Lovelace"}),
        lang="en",
        policy_version=1,
        received_at=timezone.now(),
        filed_at=timezone.now(),
    )


def to(server: MailServer, address: str = ADA) -> list[str]:
    return [
        e.get_body(preferencelist=("plain",)).get_content()
        for e in server.emails()
        if e["To"] == address
    ]


def kinds(reference: str) -> list[str]:
    return list(
        CaseEvent.objects.filter(request__reference=reference)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


# --- intake -------------------------------------------------------------------------------


def test_a_request_by_post_is_filed_with_its_due_date_at_the_end_of_february(
    published: Any,
) -> None:
    out = rights(
        "create",
        "--received",
        "2027-01-31",
        "--channel",
        "post",
        "--right",
        "access",
        "--right",
        "erasure",
        "--postal-address",
        POSTAL,
        "--last-name",
        "Lovelace",
        "--first-name",
        "Ada",
        "--language",
        "en",
        "--now",
        "2027-02-02",
    )

    reference = reference_in(out)
    assert (
        out.splitlines()[-1] == f"Reference {reference}, answer due by 2027-02-28 (Europe/Paris)."
    )
    assert "No email address: acknowledge it by post." in out
    request = RightsRequest.objects.get(reference=reference)
    assert request.channel == "post" and request.lang == "en"
    assert request.rights == ["access", "erasure"]
    assert timezone.localtime(request.received_at).date() == dt.date(2027, 1, 31)
    assert timezone.localtime(request.due_at).date() == dt.date(2027, 2, 28)
    assert request.last_name == "Lovelace" and request.postal_address == POSTAL
    assert kinds(reference) == ["received"]
    entry = AuditEntry.objects.get(action="create", target_type="rights.rightsrequest")
    assert entry.target_ref == str(request.pk) and reference in entry.reason
    # A leap year: the 29th.
    out = rights(
        "create",
        "--received",
        "2028-01-31",
        "--channel",
        "post",
        "--right",
        "access",
        "--postal-address",
        POSTAL,
        "--now",
        "2028-02-01",
    )
    assert out.splitlines()[-1].endswith("answer due by 2028-02-29 (Europe/Paris).")


def test_a_request_received_long_ago_is_said_to_be_overdue_already(published: Any) -> None:
    out = rights(
        "create",
        "--received",
        "2027-01-02",
        "--channel",
        "post",
        "--right",
        "access",
        "--postal-address",
        POSTAL,
        "--now",
        "2027-03-01",
    )
    assert "The due day has passed already: answer this request now." in out


def test_a_request_about_x_from_y_writes_to_x_and_tells_y_nothing(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    out = rights(
        "create",
        "--received",
        t0.isoformat(),
        "--channel",
        "email",
        "--right",
        "access",
        "--email",
        ADA,
        "--from",
        "mallory@example.org",
        "--now",
        t0.isoformat(),
    )
    assert "The address it came from gets a plain acknowledgement only." in out
    run_worker(t0)

    assert "/rights/verify/" in to(smtp)[-1]
    generic = to(smtp, "mallory@example.org")[-1]
    assert "/rights/" not in generic and ADA not in generic


# --- list and show ------------------------------------------------------------------------


def test_the_list_shows_open_requests_by_due_date_with_their_flags(published: Any) -> None:
    late = by_post("2027-01-10", "2027-01-10")
    soon = by_post("2027-01-31", "2027-02-01")
    later = by_post("2027-02-15", "2027-02-15")
    closed = by_post("2027-01-05", "2027-01-05")
    rights("close", closed, "--now", "2027-01-20")

    out = rights("list", "--now", "2027-02-22")

    lines = out.splitlines()
    assert lines[0].split() == ["Reference", "Received", "Due", "State", "Rights", "Flags"]
    assert [line.split()[0] for line in lines[1:-1]] == [late, soon, later]
    assert lines[1].split()[1:] == ["2027-01-10", "2027-02-10", "unverified", "access", "OVERDUE"]
    assert lines[2].split()[1:] == [
        "2027-01-31",
        "2027-02-28",
        "unverified",
        "access",
        "due",
        "soon",
    ]
    assert lines[3].split()[1:] == ["2027-02-15", "2027-03-15", "unverified", "access"]
    assert lines[-1].startswith("3 open requests as of 2027-02-22")
    assert lines[-1].endswith(": 1 overdue, 1 due within 7 days.")
    assert "Lovelace" not in out and "Lilas" not in out  # no personal value

    overdue = rights("list", "--overdue", "--now", "2027-02-22").splitlines()
    assert [line.split()[0] for line in overdue[1:-1]] == [late]
    assert overdue[-1].startswith("1 overdue of 3 open requests")

    everything = rights("list", "--all", "--now", "2027-02-22").splitlines()
    assert [line.split()[0] for line in everything[1:-1]] == [late, soon, later, closed]
    assert everything[4].split()[3] == "closed"
    assert everything[-1].endswith("; 1 closed.")

    # Extended: the new due day, flagged.
    rights("extend", soon, "--reason", "Archives on paper.", "--now", "2027-02-22")
    line = next(x for x in rights("list", "--now", "2027-02-22").splitlines() if soon in x)
    assert line.split()[2] == "2027-04-28" and line.endswith("extended")


def test_an_empty_list_says_so(published: Any) -> None:
    summary = rights("list").strip()
    assert summary.startswith("0 open requests as of ") and " Europe/Paris: " in summary
    assert summary.endswith(": 0 overdue, 0 due within 7 days.")


def test_show_prints_the_case_and_its_timeline_and_the_reading_is_audited(
    published: Any, t0: dt.datetime
) -> None:
    reference = by_email(
        t0,
        "--right",
        "erasure",
        "--from",
        "mallory@example.org",
        "--last-name",
        "Lovelace",
        "--first-name",
        "Ada",
        "--details",
        "Please forget me.",
    )
    rights("verify", reference, "--how", "known correspondent", "--now", t0.isoformat())

    out = rights("show", reference)

    assert out.startswith(f"Request {reference}: verified\n")
    assert "by email" in out and "Language        fr" in out
    assert "Rights          erasure" in out
    assert "Name            Ada Lovelace" in out
    assert f"Email           {ADA}" in out and "Came from       mallory@example.org" in out
    assert "Details         Please forget me." in out
    timeline = out.split("Timeline:\n")[1].splitlines()
    assert "received" in timeline[0] and "erasure (email)" in timeline[0]
    assert "verified" in timeline[1] and "known correspondent" in timeline[1]
    assert out.splitlines()[-1].startswith(f"Request {reference}: 2 steps;")
    request = RightsRequest.objects.get(reference=reference)
    viewed = AuditEntry.objects.filter(action="view", target_ref=str(request.pk))
    assert viewed.count() == 1


def test_show_json_has_the_documented_keys(published: Any, t0: dt.datetime) -> None:
    reference = by_email(t0, "--right", "access", "--last-name", "Lovelace")

    data = json.loads(rights("show", reference, "--json"))

    assert set(data) == {
        "format",
        "reference",
        "state",
        "channel",
        "language",
        "rights",
        "received_at",
        "due_at",
        "extended_to",
        "deadline",
        "verified_at",
        "answered_at",
        "closed_at",
        "overdue",
        "due_soon",
        "requester",
        "details",
        "consent_reference",
        "extension_reason",
        "refusal_reason",
        "doubt_reason",
        "identity_document",
        "restrictions",
        "timeline",
    }
    for key in set(data) - {"format"}:
        assert key in JSON_HELP, key
    for key in [*data["requester"], *data["timeline"][0]]:
        assert key in JSON_HELP, key
    assert data["format"] == "gardien-rights-request/1"
    assert data["reference"] == reference and data["state"] == "unverified"
    assert data["channel"] == "email" and data["rights"] == ["access"]
    assert dt.datetime.fromisoformat(data["received_at"]) == t0
    assert data["extended_to"] is None and data["deadline"] == data["due_at"]
    assert data["requester"] == {
        "last_name": "Lovelace",
        "first_name": "",
        "email": ADA,
        "from_email": "",
        "postal_address": "",
    }
    assert data["identity_document"] is None and data["restrictions"] == []
    assert data["timeline"] == [
        {"at": data["received_at"], "what": "received", "by": "system", "note": "access (email)"}
    ]
    # Overdue as of a later --now.
    later = (t0 + dt.timedelta(days=40)).isoformat()
    assert json.loads(rights("show", reference, "--json", "--now", later))["overdue"] is True


# --- deadlines and the end of a request ---------------------------------------------------


def test_an_extension_before_the_due_day_and_none_after(
    published: Any, smtp: MailServer, run_worker: Any
) -> None:
    reference = reference_in(
        rights(
            "create",
            "--received",
            "2027-01-31T10:00:00+00:00",
            "--channel",
            "email",
            "--email",
            ADA,
            "--right",
            "access",
            "--language",
            "en",
            "--now",
            "2027-01-31T10:00:00+00:00",
        )
    )

    out = rights("extend", reference, "--reason", "Many systems to search.", "--now", "2027-02-20")

    assert out.splitlines()[-1] == (
        f"Extended request {reference}: the answer is due by 2027-04-28 instead of 2027-02-28."
    )
    assert "The worker emails the person the new date and the reasons." in out
    run_worker(dt.datetime(2027, 2, 20, 1, tzinfo=dt.UTC))
    assert "Many systems to search." in to(smtp)[-1]
    with pytest.raises(CommandError, match="already extended"):
        rights("extend", reference, "--reason", "Again", "--now", "2027-02-21")

    late = by_post("2027-01-31", "2027-01-31")
    with pytest.raises(CommandError) as refused:
        rights("extend", late, "--reason", "Too late.", "--now", "2027-03-01")
    assert "has passed" in str(refused.value) and "Nothing was changed." in str(refused.value)
    assert RightsRequest.objects.get(reference=late).extended_to is None
    assert kinds(late) == ["received"]


def test_reject_sends_the_reasons_and_closes_the_request(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    reference = by_email(t0, "--right", "access", "--language", "en")
    with pytest.raises(CommandError, match="Give the reasons for the refusal"):
        rights("reject", reference, "--reason", "  ", "--now", t0.isoformat())
    assert RightsRequest.objects.get(reference=reference).closed_at is None

    out = rights(
        "reject",
        reference,
        "--reason",
        "The fifth identical request this week.",
        "--now",
        t0.isoformat(),
    )

    assert out.splitlines()[-1] == f"Refused and closed request {reference}."
    request = RightsRequest.objects.get(reference=reference)
    assert request.state == RightsRequest.State.REFUSED and request.closed_at == t0
    run_worker(t0)
    refusal = to(smtp)[-1]
    assert "The fifth identical request this week." in refusal
    assert "judicial remedy" in refusal
    assert AuditEntry.objects.filter(action="refuse", target_ref=str(request.pk)).exists()


def test_close(published: Any) -> None:
    reference = by_post("2027-01-31", "2027-02-01")

    out = rights("close", reference, "--now", "2027-02-10")

    assert "Nothing was sent from Gardien to answer it" in out
    assert out.splitlines()[-1] == f"Closed request {reference}."
    request = RightsRequest.objects.get(reference=reference)
    assert request.state == RightsRequest.State.CLOSED
    assert timezone.localtime(request.closed_at).date() == dt.date(2027, 2, 10)
    assert kinds(reference) == ["received", "closed"]
    with pytest.raises(CommandError, match="closed already"):
        rights("close", reference)


# --- carrying out the rights, end to end --------------------------------------------------


def test_verify_then_erase_end_to_end_with_the_worker(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    reference = by_email(t0, "--right", "erasure", "--language", "en")
    run_worker(t0)
    assert "/rights/verify/" in to(smtp)[-1]  # the link went; the DPO verifies otherwise

    out = rights("verify", reference, "--how", "signed letter received", "--now", t0.isoformat())
    assert "Gardien holds data under the address concerned." in out
    assert (
        out.splitlines()[-1] == f"Verified request {reference}: its rights can now be carried out."
    )

    out = rights("erase", reference, "--now", t0.isoformat())

    assert "contact.contactmessage: 1" in out and "vault.person: 1" in out
    assert out.splitlines()[-1] == f"Erased 2 records for request {reference}."
    assert not ContactMessage.objects.exists() and not Person.objects.exists()
    run_worker(t0)
    assert "erasure" in to(smtp)[-1]
    steps = kinds(reference)
    assert [k for k in steps if not k.startswith("recipient_")] == [
        "received",
        "verified",
        "erased",
    ]
    assert "recipient_to_tell" in steps  # Art. 19: each recipient of the data listed
    request = RightsRequest.objects.get(reference=reference)
    assert AuditEntry.objects.filter(action="verify", target_ref=str(request.pk)).exists()
    assert AuditEntry.objects.filter(action="erase", target_type="vault.person").exists()
    rights("close", reference, "--now", t0.isoformat())
    assert RightsRequest.objects.get(reference=reference).state == RightsRequest.State.CLOSED


def test_export_sends_a_download_link_through_the_worker(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    reference = by_email(t0, "--right", "access", "--language", "en")
    rights("verify", reference, "--how", "known correspondent", "--now", t0.isoformat())

    out = rights("export", reference, "--now", t0.isoformat())

    assert "single-use link" in out
    assert out.splitlines()[-1] == f"Answered request {reference} (access)."
    run_worker(t0)
    assert "/en/rights/download/" in to(smtp)[-1]
    assert "access_sent" in kinds(reference)

    postal = by_post("2027-01-31", "2027-02-01")
    rights("verify", postal, "--how", "signed letter", "--now", "2027-02-01")
    with pytest.raises(CommandError, match="no email address concerned"):
        rights("export", postal, "--portability", "--now", "2027-02-01")
    assert "portability_sent" not in kinds(postal)


def test_restriction_then_its_lifting_told_first(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    reference = by_email(t0, "--right", "restriction", "--language", "en")
    rights("verify", reference, "--how", "known correspondent", "--now", t0.isoformat())
    with pytest.raises(CommandError, match="No restriction on every activity is held"):
        rights("unrestrict", reference, "--now", t0.isoformat())

    out = rights(
        "restrict",
        reference,
        "--ground",
        "legal_claims",
        "--activity",
        "contact",
        "--now",
        t0.isoformat(),
    )

    assert out.splitlines()[-1] == (
        f"Restricted the processing for request {reference} (the activity contact, ground "
        "legal_claims)."
    )
    person = Person.objects.get()
    assert vault.is_restricted(person.pk, "contact")
    assert "Restricted      contact (ground legal_claims, since" in rights("show", reference)
    [held] = json.loads(rights("show", reference, "--json"))["restrictions"]
    assert held["activity"] == "contact" and held["ground"] == "legal_claims"
    with pytest.raises(CommandError, match="No restriction on every activity is held"):
        rights("unrestrict", reference, "--now", t0.isoformat())
    out = rights("unrestrict", reference, "--activity", "contact", "--now", t0.isoformat())
    assert "The person is told first" in out
    assert vault.is_restricted(person.pk, "contact")  # not before the notice went
    run_worker(t0)
    assert not Restriction.objects.exists()
    assert "about to lift" in to(smtp)[-1]


def test_objection_erases_a_legitimate_interest_activity_and_withdrawal(
    published: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    reference = by_email(t0, "--right", "objection", "--right", "withdrawal")
    rights("verify", reference, "--how", "known correspondent", "--now", t0.isoformat())

    with pytest.raises(CommandError, match="this one is not"):
        rights("object", reference, "--activity", "consent", "--now", t0.isoformat())
    with pytest.raises(CommandError, match="Withdraw the consent instead"):
        rights("object", reference, "--activity", "brevo_tracking", "--now", t0.isoformat())
    out = rights("object", reference, "--activity", "contact", "--now", t0.isoformat())

    assert out.splitlines()[-1] == (
        f"Objection to contact for request {reference}: its data about the person is erased."
    )
    assert not ContactMessage.objects.exists()
    out = rights("withdraw", reference, "--now", t0.isoformat())
    assert out.splitlines()[-1] == f"Withdrew the consent for request {reference}."
    assert kinds(reference)[-2:] == ["objection_erased", "withdrawn"]


# --- mistakes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "R-AAAAAAAAAA"), "No request has the reference “R-AAAAAAAAAA”"),
        (("close", "not-a-reference"), "No request has the reference “not-a-reference”"),
        (("list", "--now", "next tuesday"), "'next tuesday' is not a date"),
        (
            ("create", "--received", "31/01/2027", "--channel", "post", "--right", "access"),
            "--received: '31/01/2027' is not a date",
        ),
        (
            ("create", "--received", "2027-01-31", "--channel", "email", "--right", "access"),
            "A request received by email has an address: give it with --email",
        ),
        (
            ("create", "--received", "2027-01-31", "--channel", "post", "--right", "access"),
            "Give an email or a postal address",
        ),
        (
            (
                "create",
                "--received",
                "2027-03-01",
                "--channel",
                "post",
                "--right",
                "access",
                "--postal-address",
                POSTAL,
                "--now",
                "2027-02-01",
            ),
            "cannot be received in the future",
        ),
        (
            (
                "create",
                "--received",
                "2027-01-31",
                "--channel",
                "email",
                "--email",
                "not an address",
                "--right",
                "access",
                "--now",
                "2027-02-01",
            ),
            "This is not an email address",
        ),
        (
            (
                "create",
                "--received",
                "2027-01-31",
                "--channel",
                "post",
                "--right",
                "access",
                "--postal-address",
                POSTAL,
                "--consent-reference",
                "short",
                "--now",
                "2027-02-01",
            ),
            "--consent-reference is not a consent reference",
        ),
        (
            ("create", "--received", "2027-01-31", "--channel", "form", "--right", "access"),
            "is not one of 'email', 'post'",
        ),
    ],
)
def test_bad_input_is_refused_with_a_sentence_and_nothing_filed(
    published: Any, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError) as refused:
        rights(*args)
    assert message in str(refused.value)
    assert not RightsRequest.objects.exists()


def test_nothing_is_done_before_verification(published: Any, t0: dt.datetime) -> None:
    contact_message(ADA)
    reference = by_email(t0, "--right", "erasure")
    for action in (("erase",), ("export",), ("restrict",), ("withdraw",)):
        with pytest.raises(CommandError) as refused:
            rights(*action, reference, "--now", t0.isoformat())
        assert "identity is not verified yet" in str(refused.value)
        assert str(refused.value).endswith("Nothing was changed.")
    assert ContactMessage.objects.exists() and not Restriction.objects.exists()
    assert kinds(reference) == ["received"]


def test_an_unknown_activity_and_a_verification_naming_an_address_are_refused(
    published: Any, t0: dt.datetime
) -> None:
    contact_message(ADA)
    reference = by_email(t0, "--right", "erasure")
    with pytest.raises(CommandError, match="say how without an email address"):
        rights("verify", reference, "--how", f"mail from {ADA}", "--now", t0.isoformat())
    assert RightsRequest.objects.get(reference=reference).verified_at is None
    with pytest.raises(CommandError, match="Say how the identity was verified"):
        rights("verify", reference, "--how", "   ", "--now", t0.isoformat())
    rights("verify", reference, "--how", "known correspondent", "--now", t0.isoformat())
    with pytest.raises(CommandError, match="not waiting for verification"):
        rights("verify", reference, "--how", "again", "--now", t0.isoformat())

    with pytest.raises(CommandError, match=r"has no activity “nope”\. Use one of: contact"):
        rights("erase", reference, "--activity", "nope", "--now", t0.isoformat())
    assert ContactMessage.objects.exists()


def test_now_is_refused_in_production_for_a_change_but_not_for_reading(
    published: Any, settings: Any
) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="--now is refused in production"):
        by_post("2027-01-31", "2027-02-01")
    assert not RightsRequest.objects.exists()
    assert "0 open requests as of 2027-02-01" in rights("list", "--now", "2027-02-01")


def test_a_refusal_exits_with_status_1_and_says_why(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "GARDIEN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
    }
    gardien = [str(Path(sys.executable).parent / "gardien")]
    subprocess.run(
        [*gardien, "migrate", "--noinput", "--verbosity", "0"], env=env, cwd=ROOT, check=True
    )

    done = subprocess.run(
        [*gardien, "rights", "show", "R-AAAAAAAAAA"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "No request has the reference “R-AAAAAAAAAA”" in done.stderr
    assert "Traceback" not in done.stderr


# --- help ---------------------------------------------------------------------------------


def help_of(capsys: Any, *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(["gardien", "rights", *args, "--help"])
    assert exited.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_the_help_says_what_each_action_does(capsys: Any) -> None:
    text = help_of(capsys)
    assert "Handles the requests people make to exercise their rights" in text
    for action in (
        "create",
        "list",
        "show",
        "verify",
        "extend",
        "reject",
        "close",
        "restrict",
        "unrestrict",
        "export",
        "erase",
        "object",
        "withdraw",
    ):
        assert action in text
        assert "--now DATE" in help_of(capsys, action)
    assert "received on 31 January, due on the last day of February" in help_of(capsys, "create")
    assert "OVERDUE when the due day has passed" in help_of(capsys, "list")
    assert '"format": "gardien-rights-request/1"' in help_of(capsys, "show")
    assert "only before the first due day has passed" in help_of(capsys, "extend")
    assert "right to complain to the supervisory authority" in help_of(capsys, "reject")
    assert "The person must be told before it is lifted" in help_of(capsys, "unrestrict")
    assert "single-use link" in help_of(capsys, "export")
    assert "--compelling" in help_of(capsys, "object")
