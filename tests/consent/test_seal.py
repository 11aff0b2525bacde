"""The sealed consent ledger: seals, `gardien consent verify`, and removals on purpose."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import translation

from gardien.audit.models import AuditEntry
from gardien.cli import main
from gardien.consent import seal
from gardien.consent.models import ConsentRecord, ConsentSeal
from gardien.consent.services import forget, new_consent_id
from gardien.lib import clock

T = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
TABLE = ConsentRecord._meta.db_table


def proof(at: dt.datetime = T, consent_id: str | None = None, **changes: Any) -> ConsentRecord:
    row = ConsentRecord(
        # As Gardien issues them: never starting with "-", which a command line would take
        # for an option.
        consent_id=consent_id or new_consent_id(),
        recorded_at=at,
        action="custom",
        decisions={"audience": True, "brevo_tracking": False},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
        **changes,
    )
    row.save()
    return row


def sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("TABLE", TABLE), params)


def run(capsys: Any, *args: str) -> tuple[int, str]:
    """`gardien consent ARGS` in this test's connection: exit code and output."""
    out = StringIO()
    code = 0
    try:
        with translation.override("en"):
            call_command("consent", *args, stdout=out)
    except SystemExit as exited:
        code = int(exited.code or 0)
    except CommandError as error:
        code = error.returncode
    return code, out.getvalue()


def problems() -> list[str]:
    result = seal.verify()
    return [p for check in result.seals for p in check.problems] + result.chain


@pytest.fixture
def sealed(db: Any) -> list[ConsentRecord]:
    rows = [proof(T + dt.timedelta(minutes=i)) for i in range(7)]
    made = seal.seal_pending()
    assert [s.count for s in made] == [7]
    return rows


def test_the_merkle_path_of_every_leaf_gives_the_root() -> None:
    for n in range(1, 12):
        leaves = [hashlib.sha256(bytes([i])).digest() for i in range(n)]
        root = seal.merkle_root(leaves)
        for i, leaf in enumerate(leaves):
            assert seal.root_from_path(leaf, seal.merkle_path(leaves, i)) == root
        if n > 1:
            assert seal.merkle_root(leaves[::-1]) != root


def test_a_sealed_ledger_verifies_and_its_root_is_in_the_audit_log(sealed: Any, capsys) -> None:
    made = ConsentSeal.objects.get()
    assert (made.first_pk, made.last_pk) == (sealed[0].pk, sealed[-1].pk)
    entry = AuditEntry.objects.get(action=seal.SEAL_ACTION, target_ref=str(made.pk))
    assert made.root in entry.reason and "7 proofs" in entry.reason
    assert seal.verify().intact
    code, out = run(capsys, "verify")
    assert code == 0, out
    assert "intact: 1 seal(s) over 7 proof(s)" in out


def test_the_leaf_is_the_documented_hash_of_the_proof(sealed: Any) -> None:
    """An authority recomputes a leaf with SHA-256 alone, from docs/consent.md."""
    row = sealed[2]
    document = {
        "pk": row.pk,
        "consent_id": row.consent_id,
        "recorded_at": row.recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "action": "custom",
        "decisions": {"audience": True, "brevo_tracking": False},
        "policy_version": 1,
        "config_hash": "a" * 64,
        "lang": "fr",
        "gpc": False,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    leaf = hashlib.sha256(b"\x00" + text.encode()).hexdigest()
    assert seal.prove(row.consent_id)[0].leaf == leaf


def test_a_proof_edited_through_sql_is_named(sealed: Any, capsys) -> None:
    target = sealed[3]
    sql("UPDATE TABLE SET decisions = %s WHERE id = %s", ['{"audience": false}', target.pk])
    assert problems() == [
        f"seal {ConsentSeal.objects.get().pk} (proofs {sealed[0].pk}..{sealed[-1].pk}): "
        f"proof {target.pk} (position 3) was changed"
    ]
    code, out = run(capsys, "verify")
    assert code == 1
    assert f"proof {target.pk} (position 3) was changed" in out and "tampered" in out
    code, out = run(capsys, "verify", "--id", target.consent_id)
    assert code == 1 and "TAMPERED" in out


def test_a_proof_deleted_through_sql_is_named(sealed: Any, capsys) -> None:
    target = sealed[5]
    sql("DELETE FROM TABLE WHERE id = %s", [target.pk])
    (problem,) = problems()
    assert problem.endswith(f"proof {target.pk} (position 5) was deleted")
    assert run(capsys, "verify")[0] == 1


def test_a_proof_inserted_inside_a_sealed_range_is_named(db: Any, capsys) -> None:
    rows = [proof(T + dt.timedelta(minutes=i)) for i in range(5)]
    sql("DELETE FROM TABLE WHERE id = %s", [rows[2].pk])  # before sealing: a gap in the ids
    seal.seal_pending()
    assert seal.verify().intact
    sql(
        "INSERT INTO TABLE (id, consent_id, recorded_at, action, decisions, policy_version, "
        "config_hash, lang, gpc) VALUES (%s, %s, %s, 'accept_all', %s, 1, %s, 'fr', %s)",
        [rows[2].pk, "b" * 32, T, '{"audience": true}', "a" * 64, False],
    )
    (problem,) = problems()
    assert problem.endswith(f"proof {rows[2].pk} was inserted after the seal")
    code, out = run(capsys, "verify")
    assert code == 1 and f"proof {rows[2].pk} was inserted" in out


def test_a_changed_root_is_caught_by_its_signature(sealed: Any) -> None:
    """Rewriting a seal's root (or any of its columns) needs the audit key."""
    made = ConsentSeal.objects.get()
    ConsentSeal.objects.filter(pk=made.pk).update(root="f" * 64)
    assert any("signature does not match" in p for p in problems())


def test_the_id_proof_gives_the_path_to_the_sealed_root(sealed: Any, capsys) -> None:
    target = sealed[4]
    (found,) = seal.prove(target.consent_id)
    assert found.holds and found.seal is not None and found.position == 4
    path = [(side, bytes.fromhex(h)) for side, h in found.path]
    assert seal.root_from_path(bytes.fromhex(found.leaf), path).hex() == found.seal.root
    code, out = run(capsys, "verify", "--id", target.consent_id)
    assert code == 0, out
    assert f"(proof {target.pk}) is unchanged since it was sealed" in out
    assert "proof 5 of the 7 sealed on" in out
    assert found.seal.root in out and "wrote into its audit log (entry" in out


def test_proofs_after_the_last_seal_are_listed_as_unsealed(sealed: Any, capsys) -> None:
    later = [proof(T + dt.timedelta(hours=1)), proof(T + dt.timedelta(hours=1))]
    result = seal.verify()
    assert result.intact
    assert result.unsealed == (2, later[0].pk, later[1].pk)
    code, out = run(capsys, "verify")
    assert code == 0
    assert f"2 proof(s) ({later[0].pk}..{later[1].pk}) are not sealed yet" in out
    code, out = run(capsys, "verify", "--id", later[0].consent_id)
    assert code == 0 and "is not sealed yet" in out


def test_usage_errors_exit_with_2(db: Any, capsys) -> None:
    assert run(capsys, "verify", "--id", "not an id")[0] == 2
    assert run(capsys, "verify", "--id", "a" * 32)[0] == 2  # no proof under it


def test_a_wrong_option_exits_with_2_from_the_command_line(db: Any, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["gardien", "consent", "verify", "--nope"])
    assert exited.value.code == 2


def test_the_job_seals_what_is_new_and_nothing_twice(db: Any) -> None:
    from gardien.consent import jobs
    from gardien.processors.periodic import JOBS

    assert any(job.name == "consent.seal" for job in JOBS)
    first = [proof() for _ in range(3)]
    jobs.seal_ledger()
    jobs.seal_ledger()
    second = [proof() for _ in range(2)]
    jobs.seal_ledger()
    seals = list(ConsentSeal.objects.order_by("first_pk").values_list("first_pk", "last_pk"))
    assert seals == [(first[0].pk, first[-1].pk), (second[0].pk, second[-1].pk)]
    assert AuditEntry.objects.filter(action=seal.SEAL_ACTION).count() == 2
    assert seal.verify().intact


def test_a_long_ledger_is_sealed_in_several_seals(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(seal, "MAX_PROOFS", 4)
    rows = [proof() for _ in range(10)]
    assert [s.count for s in seal.seal_pending()] == [4, 4, 2]
    assert ConsentSeal.objects.order_by("-last_pk").first().last_pk == rows[-1].pk  # type: ignore[union-attr]
    assert seal.verify().intact


@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_seal_each_proof_once() -> None:
    for _ in range(40):
        proof()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            barrier.wait()
            seal.seal_pending()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert list(ConsentSeal.objects.values_list("count", flat=True)) == [40]
    assert AuditEntry.objects.filter(action=seal.SEAL_ACTION).count() == 1


def test_the_retention_purge_seals_its_own_removal(published: Any, capsys) -> None:
    from gardien.retention import engine

    old = [proof(T + dt.timedelta(minutes=i)) for i in range(4)]
    young = [proof(T + dt.timedelta(days=400, minutes=i)) for i in range(3)]
    seal.seal_pending()
    made = ConsentSeal.objects.get()
    now = T + dt.timedelta(days=365 * 2 + 60)  # past the 25 months of the old ones only
    report = engine.run(now)
    assert not report.failed
    assert set(ConsentRecord.objects.values_list("pk", flat=True)) == {p.pk for p in young}
    result = seal.verify()
    assert result.intact, problems()
    (check,) = result.seals
    (line,) = check.removed
    assert line.startswith(f"4 proof(s) ({old[0].pk}-{old[-1].pk}) removed by the retention purge")
    assert AuditEntry.objects.filter(action=seal.REMOVAL_ACTION).count() == 1
    code, out = run(capsys, "verify")
    assert code == 0, out
    assert "removed by the retention purge on" in out and made.root in out

    # A proof deleted outright after the purge is still told from it.
    sql("DELETE FROM TABLE WHERE id = %s", [young[0].pk])
    assert problems() == [
        f"seal {made.pk} (proofs {old[0].pk}..{young[-1].pk}): proof {young[0].pk} "
        "(position 4) was deleted"
    ]


def test_a_seal_goes_with_its_last_proof_and_the_next_takes_its_link(published: Any) -> None:
    from gardien.retention import engine

    for i in range(3):
        proof(T + dt.timedelta(minutes=i))
    (first,) = seal.seal_pending()
    young = [proof(T + dt.timedelta(days=365 * 2, minutes=i)) for i in range(2)]
    (second,) = seal.seal_pending()
    assert second.after_pk == first.last_pk
    later = T + dt.timedelta(days=365 * 3)
    engine.run(later)
    assert sorted(ConsentRecord.objects.values_list("pk", flat=True)) == [r.pk for r in young]
    engine.run(later + dt.timedelta(days=1))
    assert list(ConsentSeal.objects.values_list("pk", flat=True)) == [second.pk]
    assert ConsentSeal.objects.get().after_pk == 0  # re-linked and re-signed
    assert seal.verify().intact, problems()


def test_the_newest_seal_stays_when_emptied(published: Any) -> None:
    from gardien.retention import engine

    proof(T)
    seal.seal_pending()
    later = T + dt.timedelta(days=365 * 3)
    engine.run(later)
    engine.run(later + dt.timedelta(days=1))
    assert not ConsentRecord.objects.exists()
    assert ConsentSeal.objects.count() == 1
    assert seal.verify().intact


def test_an_erasure_is_told_from_a_deletion(sealed: Any, capsys) -> None:
    assert forget(sealed[1].consent_id) == 1
    result = seal.verify()
    assert result.intact
    assert "removed by the erasure request" in result.seals[0].removed[0]
    with clock.frozen(T):
        assert run(capsys, "verify")[0] == 0


def test_a_forged_seal_proves_nothing(sealed: Any) -> None:
    from gardien.audit.models import AuditCheckpoint

    assert not AuditCheckpoint.objects.exists()
    made = ConsentSeal.objects.get()
    sql("UPDATE TABLE SET lang = 'en' WHERE id = %s", [sealed[0].pk])
    # A forger who rewrote the proof, its leaf and the root still lacks the audit entry.
    leaves = seal._leaves_of(made)
    row = ConsentRecord.objects.filter(pk=sealed[0].pk).values("pk", *seal.LEDGER_COLUMNS)[0]
    leaves[0] = seal.leaf_hash(sealed[0].pk, row)
    ConsentSeal.objects.filter(pk=made.pk).update(
        leaves=b"".join(leaves), root=seal.merkle_root(leaves).hex()
    )
    (found,) = seal.prove(sealed[0].consent_id)
    assert not found.holds
    assert any("signature does not match" in p for p in problems())


def two_seals() -> tuple[ConsentSeal, ConsentSeal, list[ConsentRecord]]:
    first = [proof(T + dt.timedelta(minutes=i)) for i in range(3)]
    (one,) = seal.seal_pending()
    second = [proof(T + dt.timedelta(hours=1, minutes=i)) for i in range(3)]
    (two,) = seal.seal_pending()
    return one, two, first + second


def test_the_newest_seal_deleted_and_its_proofs_sealed_again_is_named(db: Any) -> None:
    """Delete the newest seal, change one of its proofs, let the worker seal them again."""
    _one, two, rows = two_seals()
    sql("DELETE FROM consent_consentseal WHERE id = %s", [two.pk])
    sql("UPDATE TABLE SET action = 'refuse_all' WHERE id = %s", [rows[4].pk])
    seal.seal_pending()
    found = problems()
    assert any(f"seal {two.pk}" in p and "sealed again" in p for p in found), found


def test_a_middle_seal_deleted_with_all_its_proofs_is_named(db: Any) -> None:
    _one, two, rows = two_seals()
    proof(T + dt.timedelta(hours=2))
    seal.seal_pending()
    sql("DELETE FROM TABLE WHERE id IN (%s, %s, %s)", [r.pk for r in rows[3:]])
    sql("DELETE FROM consent_consentseal WHERE id = %s", [two.pk])
    assert any("the seal before it" in p and "is missing" in p for p in problems())


def test_a_removal_or_a_backdated_seal_without_the_key_is_named(db: Any) -> None:
    from gardien.consent.models import ConsentSealRemoval

    one, _two, rows = two_seals()
    # A removal made up to excuse two deleted proofs, dated before the seal.
    ConsentSealRemoval.objects.create(
        seal=one,
        removed_at=T - dt.timedelta(days=400),
        cause="erasure",
        count=2,
        positions="1-2",
    )
    sql("DELETE FROM TABLE WHERE id IN (%s, %s)", [rows[1].pk, rows[2].pk])
    assert any("a removal of proofs" in p for p in problems())
    # A seal back-dated and renumbered.
    sql(
        "UPDATE consent_consentseal SET sealed_at = %s WHERE id = %s",
        [T - dt.timedelta(days=500), one.pk],
    )
    assert any(f"seal {one.pk}" in p and "signature" in p for p in problems())


def test_an_audit_entry_rewritten_is_not_trusted(sealed: Any) -> None:
    """With the audit log's guard removed, a rewritten reason fails its entry's signature."""
    from django.db import transaction

    from gardien.audit import guard

    made = ConsentSeal.objects.get()
    entry = AuditEntry.objects.get(target_type=seal.SEAL_TARGET, target_ref=str(made.pk))
    with transaction.atomic():  # as whoever can run SQL as Gardien could
        guard.set_purge_path(connection, is_open=True)
        AuditEntry.objects.filter(pk=entry.pk).delete()
        guard.set_purge_path(connection, is_open=False)
    entry.reason = entry.reason.replace("proofs", "proof")
    AuditEntry.objects.bulk_create([entry])
    (found,) = seal.prove(sealed[0].consent_id)
    assert not found.holds
