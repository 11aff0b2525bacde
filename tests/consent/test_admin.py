"""The back office: proofs are read-only; statistics and export for the DPO and the viewer."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib import admin
from django.urls import reverse

from gardien.audit.models import AuditEntry
from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG
from gardien.consent.models import ConsentRecord
from gardien.consent.services import new_consent_id
from gardien.lib import clock
from tests.backoffice.helpers import LOGIN, Account, new_client, verified_client

STATS = "/admin/consent/consentrecord/statistics/"
EXPORT = "/admin/consent/consentrecord/export/"
NOW = "2026-11-26T12:00:00Z"


def proof(when: str, action: str = "custom", **decisions: bool) -> ConsentRecord:
    record = ConsentRecord(
        consent_id=new_consent_id(),  # as Gardien issues them: never starting with "-"
        recorded_at=clock.parse_instant(when),
        action=action,
        decisions=decisions or {"audience": True, "brevo_tracking": False},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
        gpc=False,
    )
    record.save()
    return record


@pytest.fixture
def make_account(db, settings):
    """An account with a role, created as `gardien staff add` does."""
    # Argon2 costs half a second a hash; these tests are about who sees what.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(username: str, role: str) -> Account:
        return Account(*accounts.create_account(username, BY_SLUG[role]))

    return make


@pytest.fixture
def frozen_now(settings):
    settings.GARDIEN_NOW = NOW


@pytest.fixture
def dpo(make_account):
    return verified_client(make_account("dpo-c", "dpo"))


@pytest.fixture
def viewer(make_account):
    return verified_client(make_account("viewer-c", "viewer"))


@pytest.fixture
def staff(make_account):
    return verified_client(make_account("staff-c", "staff"))


def test_proofs_cannot_be_added_changed_or_deleted_even_by_a_superuser(rf, admin_user):
    model_admin = admin.site.get_model_admin(ConsentRecord)
    request = rf.get("/")
    request.user = admin_user
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_the_model_refuses_save_and_delete_of_an_existing_proof(db):
    from gardien.consent.models import ConsentLedgerIsAppendOnly

    record = proof("2026-11-20T10:00:00Z")
    record.action = "accept_all"
    with pytest.raises(ConsentLedgerIsAppendOnly):
        record.save()
    with pytest.raises(ConsentLedgerIsAppendOnly):
        record.delete()
    assert ConsentRecord.objects.get().action == "custom"


def test_the_dpo_finds_a_proof_by_its_exact_id_and_filters_by_action(dpo, published):
    wanted = proof("2026-11-20T10:00:00Z", "accept_all", audience=True, brevo_tracking=True)
    other = proof("2026-11-21T10:00:00Z")
    url = reverse("admin:consent_consentrecord_changelist")
    found = dpo.get(url, {"q": wanted.consent_id})
    assert found.status_code == 200
    assert wanted.consent_id in found.text and other.consent_id not in found.text
    partial = dpo.get(url, {"q": wanted.consent_id[:10]})
    assert wanted.consent_id not in partial.text
    filtered = dpo.get(url, {"action__exact": "custom"})
    assert other.consent_id in filtered.text and wanted.consent_id not in filtered.text
    detail = dpo.get(reverse("admin:consent_consentrecord_change", args=[wanted.pk]))
    assert detail.status_code == 200 and wanted.config_hash in detail.text


def test_a_bulk_delete_or_a_delete_page_changes_nothing(dpo, published):
    record = proof("2026-11-20T10:00:00Z")
    url = reverse("admin:consent_consentrecord_delete", args=[record.pk])
    assert dpo.post(url, {"post": "yes"}).status_code == 403
    dpo.post(
        reverse("admin:consent_consentrecord_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize("who", ["dpo", "viewer"])
def test_dpo_and_viewer_see_the_statistics(request, who, published, frozen_now):
    client = request.getfixturevalue(who)
    proof("2026-11-26T09:00:00Z", "accept_all", audience=True, brevo_tracking=True)
    proof("2026-11-25T09:00:00Z", "refuse_all", audience=False, brevo_tracking=False)
    proof("2026-11-25T10:00:00Z", "custom", audience=True, brevo_tracking=False)
    proof("2026-10-01T10:00:00Z", "accept_all", audience=True, brevo_tracking=True)  # too old

    response = client.get(STATS)
    assert response.status_code == 200
    purposes = {p.id: (p.granted, p.refused) for p in response.context["purposes"]}
    assert purposes == {"audience": (2, 1), "brevo_tracking": (1, 2)}
    days = {d.day.isoformat(): (d.accepted, d.custom, d.refused) for d in response.context["days"]}
    assert len(days) == 30
    assert days["2026-11-26"] == (1, 0, 0)
    assert days["2026-11-25"] == (0, 1, 1)
    assert response.context["total"] == 3
    assert "<svg" in response.text and "<rect" in response.text
    assert "<script" not in response.text.split('id="content"')[-1]
    assert "https://" not in response.text.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )


def test_the_index_links_the_statistics_for_those_who_may_see_them(viewer, staff, published):
    assert STATS in viewer.get("/admin/").text
    assert STATS not in staff.get("/admin/").text


@pytest.mark.parametrize("url", [STATS, EXPORT + "?start=2026-11-01&end=2026-11-30"])
def test_staff_gets_403_and_anonymous_the_login_page(staff, url, published):
    assert staff.get(url).status_code == 403
    response = new_client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")


@pytest.mark.parametrize("who", ["dpo", "viewer"])
def test_the_csv_export_of_a_period_holds_only_that_period(request, who, published, settings):
    settings.TIME_ZONE = "UTC"
    client = request.getfixturevalue(who)
    before = proof("2026-10-31T23:59:59Z")
    first = proof("2026-11-01T00:00:00Z", "accept_all", audience=True, brevo_tracking=True)
    last = proof("2026-11-30T23:59:59Z")
    after = proof("2026-12-01T00:00:00Z")

    response = client.get(EXPORT, {"start": "2026-11-01", "end": "2026-11-30", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["consent_id"] for r in rows] == [first.consent_id, last.consent_id]
    assert before.consent_id not in str(rows) and after.consent_id not in str(rows)
    assert json.loads(rows[0]["decisions"]) == {"audience": True, "brevo_tracking": True}
    assert rows[0]["recorded_at"] == "2026-11-01T00:00:00.000000Z"
    assert set(rows[0]) == {
        "consent_id",
        "recorded_at",
        "action",
        "decisions",
        "policy_version",
        "config_hash",
        "lang",
        "gpc",
    }
    entry = AuditEntry.objects.get(action="export")
    assert entry.target_type == "consent.consentrecord"
    assert entry.reason == "2026-11-01..2026-11-30"


def test_the_json_export_of_one_consent_id(dpo, published):
    wanted = proof("2026-11-20T10:00:00Z")
    proof("2026-11-20T11:00:00Z")
    response = dpo.get(EXPORT, {"consent_id": wanted.consent_id, "format": "json"})
    assert response.status_code == 200
    rows = json.loads(b"".join(response.streaming_content))
    assert [r["consent_id"] for r in rows] == [wanted.consent_id]
    assert AuditEntry.objects.get(action="export").target_ref == wanted.consent_id


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ({"start": "2026-13-01", "end": "2026-11-30"}, "is not a date"),
        ({"start": "01/11/2026", "end": "2026-11-30"}, "is not a date"),
        ({"start": "2026-11-30", "end": "2026-11-01"}, "swap the dates"),
        ({"start": "2026-11-01"}, "both dates"),
        ({}, "both dates"),
        ({"consent_id": "not-an-id"}, "is not a consent id"),
        ({"start": "2026-11-01", "end": "2026-11-30", "format": "xlsx"}, "CSV or the JSON"),
    ],
)
def test_a_bad_export_request_gets_a_sentence_and_no_file(dpo, published, query, sentence):
    response = dpo.get(EXPORT, query)
    assert response.status_code == 400
    assert sentence in response.text
    assert "Content-Disposition" not in response
    assert not AuditEntry.objects.filter(action="export").exists()
