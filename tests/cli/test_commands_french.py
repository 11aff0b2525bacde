"""What a French DPO reads from the other commands is French too: a new account's credentials,
the purge's rules, the worker's summary, the keys' and the clock's errors; English when asked."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command


def run(*args: str, lang: str) -> str:
    out = io.StringIO()
    call_command(*args, lang=lang, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_new_accounts_credentials_are_labelled_in_french():
    output = run("staff", "add", "alice", "--role", "staff", lang="fr")
    rows = re.findall(r"^(    (\S[^:]*:)\s+)\S+$", output, re.M)
    assert [label for _lead, label in rows] == [
        "identifiant :",
        "mot de passe :",
        "clé d'authentification :",
        "ou ce lien/QR :",
    ]
    # The values stand in one column, after the longest label.
    assert {len(lead) for lead, _label in rows} == {len("    clé d'authentification :  ")}
    assert "    codes de secours (chacun sert une fois" in output
    for english in ("username", "password", "authenticator key", "backup codes"):
        assert english not in output


@pytest.mark.django_db
def test_they_are_labelled_in_english_when_asked():
    output = run("staff", "add", "bob", "--role", "viewer", lang="en")
    assert re.search(r"^    username:           bob$", output, re.M)
    assert "    backup codes (each works once, when the phone is not at hand):" in output


def test_the_purges_dry_run_says_each_rule_in_words(published):
    french = run("purge", "--dry-run", lang="fr")
    assert re.search(
        r"^messages de contact\s+contact\s+3 ans après le dernier contact\s", french, re.M
    )
    assert "3 years after" not in french
    english = run("purge", "--dry-run", lang="en")
    assert re.search(
        r"^contact messages\s+contact\s+3 years after the last contact\s", english, re.M
    )


@pytest.mark.django_db
def test_the_workers_summary_is_french(t0):
    french = run("worker", "--batch", "--now", t0.isoformat(), lang="fr")
    assert french.strip().splitlines()[-1] == (
        "0 tâche exécutée (réussies : 0, à réessayer plus tard : 0, abandonnées : 0)."
    )
    english = run("worker", "--batch", "--now", t0.isoformat(), lang="en")
    assert english.strip().splitlines()[-1] == "Ran 0 tasks: 0 done, 0 retried later, 0 dead."


@pytest.mark.django_db
def test_a_malformed_key_is_said_in_french(settings):
    settings.GARDIEN_FIELD_KEYS = ["not-a-key"]
    with pytest.raises(CommandError) as caught:
        run("keys", "check", lang="fr")
    assert str(caught.value).startswith("GARDIEN_FIELD_KEYS : la clé n° 1 est mal formée")


@pytest.mark.django_db
def test_a_date_that_is_not_one_is_said_in_french():
    with pytest.raises(CommandError) as caught:
        run("purge", "--dry-run", "--now", "hier", lang="fr")
    assert str(caught.value) == (
        "'hier' n'est pas une date ; écrivez par exemple 2026-03-01 ou 2026-03-01T14:30:00+01:00."
    )
