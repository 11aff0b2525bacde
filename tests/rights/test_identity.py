"""A proof of identity, asked with a recorded reason: the link emailed (real SMTP), the
upload checked by content and kept encrypted, read by the DPO, destroyed at closing."""

from __future__ import annotations

import datetime as dt
import os
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from gardien.audit.models import AuditEntry
from gardien.audit.services import Actor
from gardien.lib import clock
from gardien.rights import identity, services
from gardien.rights.models import CaseEvent, IdentityDocument, RightsRequest
from tests.mailserver import MailServer, serving

pytestmark = pytest.mark.django_db

ADA = "ada@example.org"
DPO = Actor.staff(type("User", (), {"pk": 7})())
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


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _site(settings: Any, tmp_path: Path) -> None:
    settings.GARDIEN_ALTCHA = False
    settings.SITE_URL = "https://gardien.coopo.example"
    settings.GARDIEN_PRIVATE_FILES_DIR = tmp_path / "private"


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    with serving(settings) as server:
        yield server


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.GARDIEN_PRIVATE_FILES_DIR)
    return [Path(folder) / name for folder, _dirs, names in os.walk(root) for name in names]


def email_request(t0: dt.datetime, **changes: Any) -> RightsRequest:
    values: dict[str, Any] = {"email": ADA, "lang": "en"}
    values.update(changes)
    with clock.frozen(t0):
        return services.create(
            channel="email", received_at=t0, rights=["access"], actor=DPO, **values
        )


def identity_email(server: MailServer) -> Any:
    found = [e for e in server.emails() if e["To"] == ADA and "proof of identity" in e["Subject"]]
    assert found, [e["Subject"] for e in server.emails()]
    return found[-1]


def upload_link(server: MailServer) -> str:
    body = identity_email(server).get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"https://gardien\.coopo\.example(/en/rights/identity/\S+)", body)
    assert found, body
    return found.group(1)


def asked(t0: dt.datetime, server: MailServer, run_worker: Any) -> tuple[RightsRequest, str]:
    request = email_request(t0)
    with clock.frozen(t0):
        outcome = identity.ask(request, reason=REASON, actor=DPO)
    assert not outcome.by_post
    run_worker(t0)
    return request, upload_link(server)


def send(client: Client, link: str, data: bytes, name: str = "passport-ada-lovelace.png") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(link, {"document": SimpleUploadedFile(name, data, "image/png")})


def test_asking_needs_a_reason(published: Any, t0: dt.datetime) -> None:
    request = email_request(t0)

    with pytest.raises(services.RightsError, match="reason"):
        identity.ask(request, reason="  ", actor=DPO)

    assert not IdentityDocument.objects.exists()
    assert not CaseEvent.objects.filter(kind="identity_asked").exists()
    request.refresh_from_db()
    assert request.doubt_reason == ""


def test_the_link_by_email_takes_the_document_once_and_keeps_it_encrypted(
    client: Client,
    published: Any,
    smtp: MailServer,
    run_worker: Any,
    t0: dt.datetime,
    settings: Any,
) -> None:
    request, link = asked(t0, smtp, run_worker)
    body = identity_email(smtp).get_body(preferencelist=("plain",)).get_content()
    assert REASON in body and "JPEG or PNG picture, or a PDF" in body and "10 MB" in body
    assert request.reference in identity_email(smtp)["Subject"]
    request.refresh_from_db()
    assert request.doubt_reason == REASON
    document = IdentityDocument.objects.get()
    assert document.upload_sha256 and document.upload_sha256 not in body  # only its hash

    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert 'accept="image/jpeg,image/png,application/pdf"' in html
    assert "10 MB" in html and "destroyed when your request is closed" in html
    assert page["Cache-Control"] == "no-store"

    original = png()
    response = send(client, link, original)

    assert response.status_code == 200, response.content.decode()
    assert "Document received" in response.content.decode()
    document.refresh_from_db()
    assert document.uploaded_at is not None and document.content_type == "image/png"
    assert document.upload_sha256 == "" and document.upload_expires_at is None
    assert "ada" not in document.document.name and "passport" not in document.document.name
    [path] = stored_files(settings)
    assert Path(document.document.path) == path
    assert path.is_relative_to(Path(settings.GARDIEN_PRIVATE_FILES_DIR))
    on_disk = path.read_bytes()
    assert on_disk != original and original not in on_disk and b"PNG" not in on_disk
    assert identity.read(request) == ("image/png", original)

    assert send(client, link, png()).status_code == 404  # single use
    assert client.get(link).status_code == 404
    assert len(stored_files(settings)) == 1
    kinds = list(CaseEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["received", "identity_asked", "identity_received"]
    notes = " ".join(CaseEvent.objects.values_list("note", flat=True))
    assert REASON not in notes and ADA not in notes
    assert AuditEntry.objects.filter(action="identity_ask", target_ref=str(request.pk)).exists()
    assert AuditEntry.objects.filter(
        action="create", target_type="rights.identitydocument", target_ref=str(document.pk)
    ).exists()
    assert not any(REASON in e.reason for e in AuditEntry.objects.all())


def test_a_pdf_is_accepted_and_the_dpo_reading_is_audited(
    client: Client, published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    request, link = asked(t0, smtp, run_worker)

    assert send(client, link, PDF, name="scan.pdf").status_code == 200

    assert identity.read(request, actor=DPO) == ("application/pdf", PDF)
    document = IdentityDocument.objects.get()
    assert AuditEntry.objects.filter(
        action="read", actor_ref="7", target_ref=str(document.pk)
    ).exists()


def test_a_text_file_named_pdf_is_refused_by_its_content(
    client: Client,
    published: Any,
    smtp: MailServer,
    run_worker: Any,
    t0: dt.datetime,
    settings: Any,
) -> None:
    request, link = asked(t0, smtp, run_worker)

    response = send(client, link, b"Just some text, not a PDF.\n", name="passport.pdf")

    assert response.status_code == 400
    assert "not a JPEG or PNG picture or a PDF" in response.content.decode()
    assert stored_files(settings) == []
    document = IdentityDocument.objects.get()
    assert document.uploaded_at is None and not document.document
    assert identity.read(request) is None
    assert client.get(link).status_code == 200  # the link still works: send the right file
    assert send(client, link, b"", name="empty.png").status_code == 400
    assert stored_files(settings) == []


def test_a_file_too_large_is_refused_and_nothing_kept(
    client: Client,
    published: Any,
    smtp: MailServer,
    run_worker: Any,
    t0: dt.datetime,
    settings: Any,
) -> None:
    _request, link = asked(t0, smtp, run_worker)
    just_over = png() + b"\x00" * (identity.MAX_BYTES + 1 - len(png()))
    far_over = just_over + b"\x00" * (256 * 1024)

    for data in (just_over, far_over):  # counted as it arrives; declared too large
        response = send(client, link, data)
        assert response.status_code == 413
        assert "larger than 10 MB" in response.content.decode()

    assert stored_files(settings) == []
    assert IdentityDocument.objects.get().uploaded_at is None
    assert send(client, link, png()).status_code == 200


def test_an_expired_or_unknown_link_answers_404(
    client: Client, published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    _request, link = asked(t0, smtp, run_worker)

    with clock.frozen(t0 + identity.LINK_LIFETIME + dt.timedelta(minutes=1)):
        assert client.get(link).status_code == 404
        response = send(client, link, png())
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()
    assert IdentityDocument.objects.get().uploaded_at is None
    assert client.get("/en/rights/identity/not-a-token").status_code == 404
    assert client.get("/rights/identity/" + "x" * 43).status_code == 404


def test_the_upload_is_csrf_protected(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime, settings: Any
) -> None:
    _request, link = asked(t0, smtp, run_worker)
    browser = Client(enforce_csrf_checks=True)

    assert send(browser, link, png()).status_code == 403
    assert stored_files(settings) == []

    page = browser.get(link)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = browser.post(
        link,
        {
            "csrfmiddlewaretoken": token.group(1),
            "document": SimpleUploadedFile("id.png", png(), "image/png"),
        },
    )
    assert response.status_code == 200
    assert len(stored_files(settings)) == 1


def test_closing_destroys_the_document_and_records_by_which_rule(
    client: Client,
    published: Any,
    smtp: MailServer,
    run_worker: Any,
    t0: dt.datetime,
    settings: Any,
) -> None:
    request, link = asked(t0, smtp, run_worker)
    assert send(client, link, png()).status_code == 200
    document = IdentityDocument.objects.get()
    assert len(stored_files(settings)) == 1

    services.close(request, actor=DPO)

    assert not IdentityDocument.objects.exists()
    assert stored_files(settings) == []
    destroyed = CaseEvent.objects.get(kind="identity_document_destroyed")
    assert destroyed.note == "until request closed" and destroyed.actor == "7"
    entry = AuditEntry.objects.get(action="erase", target_type="rights.identitydocument")
    assert entry.target_ref == str(document.pk) and "until request closed" in entry.reason
    assert identity.read(request) is None
    with translation.override("en"), pytest.raises(services.RightsError, match="closed"):
        identity.ask(request, reason=REASON, actor=DPO)


def test_closing_before_the_upload_ends_the_link(
    client: Client,
    published: Any,
    smtp: MailServer,
    run_worker: Any,
    t0: dt.datetime,
    settings: Any,
) -> None:
    request, link = asked(t0, smtp, run_worker)

    services.close(request, actor=DPO)

    assert client.get(link).status_code == 404
    assert send(client, link, png()).status_code == 404
    assert stored_files(settings) == []


def test_asking_again_replaces_the_link_and_not_after_a_document_came(
    client: Client, published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    request, first = asked(t0, smtp, run_worker)

    identity.ask(request, reason=REASON, actor=DPO)
    run_worker(t0)
    second = upload_link(smtp)

    assert second != first
    assert client.get(first).status_code == 404
    assert send(client, second, png()).status_code == 200
    with translation.override("en"), pytest.raises(services.RightsError, match="already received"):
        identity.ask(request, reason=REASON, actor=DPO)
    assert IdentityDocument.objects.count() == 1
    ids = {e["Message-ID"] for e in smtp.emails() if "proof of identity" in e["Subject"]}
    assert len(ids) == 2  # a distinct Message-ID for each link


def test_a_request_by_post_only_is_asked_by_post(
    published: Any, smtp: MailServer, run_worker: Any, t0: dt.datetime
) -> None:
    with clock.frozen(t0):
        request = services.create(
            channel="post",
            received_at=t0,
            rights=["access"],
            postal_address="1 rue de la Paix, Paris",
            actor=DPO,
        )
        outcome = identity.ask(request, reason=REASON, actor=DPO)
    run_worker(t0)

    assert outcome.by_post and "by post" in outcome.message
    assert not IdentityDocument.objects.exists()
    request.refresh_from_db()
    assert request.doubt_reason == REASON
    event = CaseEvent.objects.get(kind="identity_asked")
    assert "by post" in event.note and REASON not in event.note
    assert not [e for e in smtp.emails() if "proof of identity" in e["Subject"]]
