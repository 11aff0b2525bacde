"""`gardien consent show CONSENT_ID`: the proofs of one visitor's choices, for a person."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gardien.cli import main
from gardien.lib import clock
from tests.consent.conftest import recomputed_hash
from tests.english import english  # noqa: F401


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Run `gardien ARGS` through the real entry point: exit code, stdout, stderr."""
    code = 0
    try:
        main(["gardien", *args])
    except SystemExit as exited:
        code = int(exited.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def two_choices(choice, post_choice) -> str:
    with clock.frozen("2026-11-26T10:00:00Z"):
        consent_id = post_choice(
            choice("en", action="accept_all", decisions={"audience": True, "brevo_tracking": True})
        ).json()["consent_id"]
    with clock.frozen("2026-12-02T08:30:00Z"):
        post_choice(
            choice(
                "en",
                consent_id=consent_id,
                action="withdraw",
                decisions={"audience": False, "brevo_tracking": False},
                gpc=True,
            )
        )
    return consent_id


def test_it_prints_every_proof_and_how_to_check_it(capsys, two_choices):
    code, out, err = run(capsys, "consent", "show", two_choices)
    assert code == 0, err
    assert f"Consent id {two_choices}: 2 choices recorded (times in Europe/Paris)." in out
    assert "2026-11-26 11:00:00 Europe/Paris  accept_all" in out
    assert "2026-12-02 09:30:00 Europe/Paris  withdraw" in out
    assert "audience granted, brevo_tracking granted" in out
    assert "audience refused, brevo_tracking refused" in out
    assert "Global Privacy Control: yes" in out
    assert "http://127.0.0.1:8000/consent/config/shown/" in out
    assert out.index("accept_all") < out.index("withdraw")


def test_it_prints_json_whose_hash_matches_the_configuration(capsys, client, two_choices):
    from gardien.consent.models import ConsentRecord

    # Fetched first: the command, run through the real entry point, closes the connection.
    first = ConsentRecord.objects.filter(consent_id=two_choices).order_by("recorded_at").first()
    shown_path = f"/consent/config/shown/{first.config_hash}.json"
    shown = client.get(shown_path).json()
    code, out, _err = run(capsys, "consent", "show", two_choices, "--json")
    assert code == 0
    proofs = json.loads(out)
    assert [p["action"] for p in proofs] == ["accept_all", "withdraw"]
    assert proofs[0]["recorded_at"] == "2026-11-26T11:00:00+01:00"  # the organisation's zone
    assert proofs[1]["decisions"] == {"audience": False, "brevo_tracking": False}
    assert proofs[1]["gpc"] is True
    assert proofs[0]["check_url"] == f"http://127.0.0.1:8000{shown_path}"
    assert shown["hash"] == proofs[0]["config_hash"] == recomputed_hash(shown)


DASHED = "-q2x7wEvQx9TfJ0m5Yl1aA"


@pytest.fixture
def dashed_proof(db) -> str:
    """A proof under an id starting with "-", as about one id in 64 did before."""
    from gardien.consent.models import ConsentRecord

    ConsentRecord.objects.create(
        consent_id=DASHED,
        recorded_at=dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC),
        action="close",
        decisions={"audience": False, "brevo_tracking": False},
        policy_version=1,
        config_hash="0" * 64,
        lang="fr",
    )
    return DASHED


def test_an_id_starting_with_a_dash_is_shown_after_double_dash(capsys, dashed_proof):
    code, out, err = run(capsys, "consent", "show", "--", dashed_proof)
    assert code == 0, err
    assert f"Consent id {dashed_proof}: 1 choice recorded (times in Europe/Paris)." in out
    assert "2026-11-26 11:00:00 Europe/Paris  close" in out


def test_an_id_starting_with_a_dash_is_shown_as_json_after_double_dash(capsys, dashed_proof):
    code, out, err = run(capsys, "consent", "show", "--json", "--", dashed_proof)
    assert code == 0, err
    assert [p["consent_id"] for p in json.loads(out)] == [dashed_proof]


def test_without_double_dash_such_an_id_is_refused_not_misread(capsys, dashed_proof):
    code, out, err = run(capsys, "consent", "show", dashed_proof)
    assert code == 2
    assert out == ""
    assert "consent show [-h] [--json] [--] CONSENT_ID" in err


def test_an_unknown_id_exits_1_with_a_sentence(capsys, db):
    code, out, err = run(capsys, "consent", "show", "A" * 22)
    assert code == 1
    assert out == ""
    assert "No choice is recorded under the consent id" in err


@pytest.mark.parametrize("value", ["short", "a" * 23, "a" * 21 + "!"])
def test_a_malformed_id_exits_2_with_a_sentence(capsys, db, value):
    code, _out, err = run(capsys, "consent", "show", value)
    assert code == 2
    assert "is not a consent id" in err


def test_its_help_speaks_to_a_non_engineer(capsys):
    code, out, _err = run(capsys, "consent", "show", "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "Print every choice recorded under one consent id" in text
    assert "the 22-character reference the visitor was shown" in text
    assert "if it starts with a dash (-), type -- before it" in text
    assert "gardien consent show -- -q2x7wEvQx9TfJ0m5Yl1aA" in text
    assert "--json" in text
    code, out, _err = run(capsys, "consent", "--help")
    assert "Shows the proofs of a visitor's cookie choices." in " ".join(out.split())
