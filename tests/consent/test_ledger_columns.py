"""The ledger's columns and its refusing actions, defined once in the model module."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.contrib import admin

from gardien.consent import stats
from gardien.consent.models import LEDGER_COLUMNS, REFUSING_ACTIONS, ConsentAction, ConsentRecord
from gardien.consent.services import Proof, _insert
from gardien.lib import clock

AT = dt.datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=dt.UTC)


def proof(consent_id: str, action: str, **changes: object) -> Proof:
    values: dict[str, object] = {
        "consent_id": consent_id,
        "recorded_at": AT,
        "action": action,
        "decisions": {"audience": False, "brevo_tracking": False},
        "policy_version": 1,
        "config_hash": "0" * 64,
        "lang": "fr",
        "gpc": False,
    }
    values.update(changes)
    return Proof(**values)  # type: ignore[arg-type]


def test_every_listing_of_the_columns_is_the_models():
    model = tuple(f.name for f in ConsentRecord._meta.concrete_fields if not f.primary_key)
    # The banner's request id is no part of the proof: only its retries are matched on it.
    assert model == (*LEDGER_COLUMNS, "request_id")
    assert tuple(f.name for f in dataclasses.fields(Proof)) == LEDGER_COLUMNS
    # The proof's page shows every column: the date and the GPC signal in words (moment,
    # gpc_signal), the others as they are stored, none twice.
    shown = tuple(admin.site.get_model_admin(ConsentRecord).fields)
    in_words = {"recorded_at": "moment", "gpc": "gpc_signal"}
    assert {in_words.get(c, c) for c in LEDGER_COLUMNS} <= set(shown)
    assert not set(in_words) & set(shown)
    assert len(shown) == len(set(shown))
    header = next(stats.csv_lines([]))
    assert header.strip() == ",".join(LEDGER_COLUMNS)


def test_a_proof_is_written_and_exported_column_for_column(db):
    written = proof(
        "Aq2x7wEvQx9TfJ0m5Yl1aA",
        ConsentAction.CUSTOM,
        decisions={"audience": True, "brevo_tracking": False},
        gpc=True,
    )
    _insert(written)
    row = stats.proof_row(ConsentRecord.objects.get())
    assert list(row) == list(LEDGER_COLUMNS)
    assert row == {
        **dataclasses.asdict(written),
        "recorded_at": "2026-11-26T10:00:00.123456Z",
    }


def test_the_statistics_count_every_refusing_action_as_refused(db):
    assert {"refuse_all", "close", "withdraw", "gpc"} == REFUSING_ACTIONS
    for n, action in enumerate(sorted(REFUSING_ACTIONS)):
        _insert(proof(f"R{n:021d}", action))
    _insert(proof("A" * 22, ConsentAction.ACCEPT_ALL, decisions={"audience": True}))
    _insert(proof("C" * 22, ConsentAction.CUSTOM))
    with clock.frozen(AT):
        start, end = stats.last_days(1)
        (day,) = stats.day_counts(start, end)
    assert (day.accepted, day.refused, day.custom) == (1, len(REFUSING_ACTIONS), 1)
