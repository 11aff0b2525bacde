"""The command line a DPO reads: French or English, a help without Django's developer options,
errors as one sentence, the organisation's time zone named in every date, truthful summaries."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.utils import translation

import gardien
from gardien.audit.services import Actor, record
from gardien.cli import main
from gardien.consent.models import ConsentRecord
from gardien.consent.services import new_consent_id
from gardien.lib.command import GardienCommand

GARDIEN_APPS = Path(gardien.__file__).parent
DEVELOPER_OPTIONS = (
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
    "--verbosity",
)
ZONE = "America/Montreal"  # five hours behind UTC in winter: a UTC date cannot pass for it
AT = dt.datetime(2026, 1, 5, 10, 30, tzinfo=dt.UTC)


def gardien_commands() -> list[str]:
    """Every command Gardien itself defines (not Django's nor a library's)."""
    return sorted(
        name
        for name, app in get_commands().items()
        if app.startswith("gardien.") and not app.startswith("gardien.lib")
    )


def help_text(capsys: Any, *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(["gardien", *args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def shown(option: str, text: str) -> bool:
    """Whether the help offers ``option``: in the usage line or as an option's own line (a
    description may still mention one, as the worker's says "--verbosity 0" for cron)."""
    return re.search(rf"(^\s+(-\w, )?|\[){re.escape(option)}\b", text, re.MULTILINE) is not None


def output(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_every_gardien_command_is_built_on_the_base(settings: Any) -> None:
    from django.core.management import load_command_class

    names = gardien_commands()
    assert {"audit", "check", "keys", "rights", "staff", "worker"} <= set(names)
    for name in names:
        command = load_command_class(get_commands()[name], name)
        assert isinstance(command, GardienCommand), name


@pytest.mark.parametrize("name", gardien_commands())
def test_the_help_hides_django_s_developer_options(capsys: Any, monkeypatch: Any, name) -> None:
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    text = help_text(capsys, name)
    assert text.startswith(f"usage: gardien {name}")
    assert "--lang {fr,en}" in text
    for option in DEVELOPER_OPTIONS:
        assert not shown(option, text), (name, option)


def test_the_help_of_an_action_hides_them_too_and_takes_lang(capsys: Any, monkeypatch) -> None:
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    for args in (("keys", "rotate"), ("rights", "show"), ("audit", "purge"), ("consent", "show")):
        text = help_text(capsys, *args)
        assert "--lang {fr,en}" in text, args
        assert not any(shown(option, text) for option in DEVELOPER_OPTIONS), args


def ready(gardien) -> None:
    """A database with Gardien's tables, under keys of its own."""
    assert gardien("secrets", "init").returncode == 0
    assert gardien("migrate", "--verbosity", "0").returncode == 0


def test_the_developer_options_still_work(gardien) -> None:
    ready(gardien)
    done = gardien("keys", "check", "--verbosity", "0", "--no-color", "--skip-checks")
    assert done.returncode == 0, done.stderr
    done = gardien("audit", "show", "--last", "0", "--traceback")
    assert "Traceback" in done.stderr  # asked for: the developer gets it


def test_the_environment_s_language_is_spoken(gardien) -> None:
    french = gardien("keys", "--help", env={"LANG": "fr_FR.UTF-8"})
    assert french.stdout.startswith("utilisation : gardien keys")
    assert "Gère les clés qui chiffrent les données personnelles." in french.stdout
    assert "afficher cette aide et quitter" in french.stdout
    english = gardien("keys", "--help", env={"LANG": "en_GB.UTF-8"})
    assert english.stdout.startswith("usage: gardien keys")
    assert "Manages the keys that encrypt personal data." in english.stdout
    # LC_ALL wins over LANG, as for any program.
    overridden = gardien("keys", "--help", env={"LANG": "en_GB.UTF-8", "LC_ALL": "fr_FR.UTF-8"})
    assert overridden.stdout.startswith("utilisation : ")


def test_lang_wins_over_the_environment_before_or_after_the_command(gardien) -> None:
    for args in (("keys", "--help", "--lang", "en"), ("--lang", "en", "keys", "--help")):
        done = gardien(*args, env={"LANG": "fr_FR.UTF-8"})
        assert done.returncode == 0, done.stderr
        assert "Manages the keys that encrypt personal data." in done.stdout, args
    done = gardien("keys", "--help", "--lang=fr", env={"LANG": "en_US.UTF-8"})
    assert "Gère les clés" in done.stdout


def test_without_a_language_it_speaks_french(gardien) -> None:
    done = gardien("keys", "--help", env={"LANG": "C.UTF-8"})
    assert done.stdout.startswith("utilisation : ")
    done = gardien("--help", env={"LANG": "de_DE.UTF-8"})  # a language Gardien does not speak
    assert done.stdout.startswith("Gardien tient les promesses de votre politique")


def test_the_overview_is_in_both_languages(gardien) -> None:
    french = gardien("--help", env={"LANG": "fr_FR.UTF-8"}).stdout
    assert "Commandes de tous les jours :" in french
    assert "gardien keys rotate" in french and "chiffrer à nouveau" in french
    english = gardien("--lang", "en", env={"LANG": "fr_FR.UTF-8"}).stdout
    assert "Everyday commands:" in english


@pytest.mark.parametrize(
    ("args", "code", "english", "french"),
    [
        (
            ("audit", "show", "--last", "0"),
            2,
            "--last must be at least 1, e.g. --last 50.",
            "--last doit valoir au moins 1, p. ex. --last 50.",
        ),
        (
            ("consent", "show", "abc"),
            2,
            "“abc” is not a consent id",
            "« abc » n'est pas un identifiant de consentement",
        ),
        (
            ("rights", "show", "R-AAAAAAAAAA"),
            1,
            "No request has the reference “R-AAAAAAAAAA”.",
            "Aucune demande n'a la référence « R-AAAAAAAAAA ».",
        ),
        (
            ("staff", "otp-reset", "nobody"),
            1,
            "There is no account named “nobody”",
            "Aucun compte ne s'appelle « nobody »",
        ),
        (
            ("audit", "show", "--last", "x"),
            2,
            "gardien audit show: --last: 'x' is not a whole number. See `gardien audit show "
            "--help`.",
            "gardien audit show: --last : 'x' n'est pas un nombre entier. Voir `gardien audit "
            "show --help`.",
        ),
        (
            ("keys",),
            2,
            "gardien keys: Say which action: rotate, check.",
            "gardien keys: Dites quelle action : rotate, check.",
        ),
    ],
)
def test_an_error_is_one_sentence_in_the_reader_s_language(
    gardien, args: tuple[str, ...], code: int, english: str, french: str
) -> None:
    ready(gardien)
    quiet = {"GARDIEN_CONTACT_NOTIFY": "team@example.org"}  # no start-up warning around it
    for lang, sentence in (("en_US.UTF-8", english), ("fr_FR.UTF-8", french)):
        done = gardien(*args, env={**quiet, "LANG": lang})
        assert done.returncode == code, done.stderr
        assert "CommandError" not in done.stderr and "Traceback" not in done.stderr
        assert "Error:" not in done.stderr
        assert done.stderr.strip().splitlines()[-1].startswith(sentence), done.stderr


def test_call_command_keeps_the_caller_s_language(db: Any) -> None:
    with translation.override("fr"):
        assert "Le journal d'audit est vide." in output("audit", "show")
        assert "The audit log is empty." in output("audit", "show", lang="en")
    with translation.override("en"):
        assert "The audit log is empty." in output("audit", "show")


# --- one time zone ----------------------------------------------------------------------


@pytest.fixture
def montreal(settings: Any) -> None:
    settings.TIME_ZONE = ZONE


def one_zone(text: str) -> None:
    assert ZONE in text, text
    assert "UTC" not in text and "+00:00" not in text and 'Z"' not in text, text


def test_audit_show_and_purge_name_the_zone(db: Any, montreal: None) -> None:
    with translation.override("en"):
        record(actor=Actor.system(), action="create", target_type="vault.person", target_ref="x")
        shown = output("audit", "show")
        one_zone(shown)
        one_zone(output("audit", "purge", "--before", "2020-01-01", "--dry-run"))
    assert "2020-01-01 00:00 America/Montreal" in output(
        "audit", "purge", "--before", "2020-01-01", "--dry-run", lang="en"
    )


def test_consent_show_names_the_zone_and_its_json_keeps_the_offset(db: Any, montreal: None) -> None:
    consent_id = new_consent_id()
    ConsentRecord.objects.create(
        consent_id=consent_id,
        recorded_at=AT,
        action="custom",
        decisions={"audience": True},
        policy_version=1,
        config_hash="a" * 64,
        lang="fr",
    )
    text = output("consent", "show", consent_id, lang="fr")
    one_zone(text)
    assert "2026-01-05 05:30:00 America/Montreal" in text
    rows = json.loads(output("consent", "show", consent_id, "--json"))
    assert rows[0]["recorded_at"] == "2026-01-05T05:30:00-05:00"


def test_rights_list_and_show_name_the_zone(db: Any, montreal: None, published: Any) -> None:
    filed = output(
        "rights",
        "create",
        "--received",
        "2026-01-05",
        "--channel",
        "post",
        "--right",
        "access",
        "--postal-address",
        "12 rue des Lilas",
        lang="en",
    )
    one_zone(filed)
    reference = filed.split("Reference ", 1)[1].split(",", 1)[0]
    one_zone(output("rights", "list", lang="en"))
    one_zone(output("rights", "show", reference, lang="fr"))
    shown = json.loads(output("rights", "show", reference, "--json"))
    assert shown["received_at"] == "2026-01-05T00:00:00-05:00"


def test_staff_list_names_the_zone_of_the_last_login(db: Any, montreal: None) -> None:
    User = get_user_model()
    user = User.objects.create_user("alice", password="a long enough password 1")
    user.is_staff = True
    user.last_login = AT
    user.save()
    text = output("staff", "list", lang="en")
    one_zone(text)
    assert "2026-01-05 05:30 America/Montreal" in text


def test_purge_dry_run_and_audience_report_name_the_zone(
    db: Any, montreal: None, published: Any
) -> None:
    one_zone(output("purge", "--dry-run", lang="en"))
    one_zone(output("audience", "report", "--from", "2026-01-01", "--to", "2026-01-02", lang="fr"))


# --- truthful summaries -----------------------------------------------------------------


def test_keys_rotate_with_one_key_of_each_kind_says_there_is_nothing_to_rotate(db: Any) -> None:
    text = output("keys", "rotate", lang="en")
    assert text.startswith("Nothing to rotate:")
    assert "removed" not in text and "remove them" not in text
    assert "Rien à faire tourner" in output("keys", "rotate", lang="fr")


def test_keys_rotate_with_nothing_left_says_so_then_the_old_keys_can_go(
    db: Any, settings: Any
) -> None:
    from cryptography.fernet import Fernet

    from gardien.vault.services import get_or_create_person

    get_or_create_person("ada@example.org", actor=Actor.system())
    settings.GARDIEN_FIELD_KEYS = [Fernet.generate_key().decode(), *settings.GARDIEN_FIELD_KEYS]
    first = output("keys", "rotate", lang="en")
    again = output("keys", "rotate", lang="en")
    assert first.splitlines()[-1].startswith("Re-encrypted ")
    assert "The older keys are no longer needed" in first
    assert "Nothing needed re-encrypting" in again
    assert "Re-encrypted" not in again
