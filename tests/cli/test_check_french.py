"""`gardien check` speaks the reader's language throughout: the manifest's problems, the
start-up checks and the words around them are French with --lang fr, English with --lang en.
The manifest's keys, values and line numbers stay as written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.manifest.conftest import VALID, Draft

# Sentences (or their telling pieces) that only English output contains.
ENGLISH = (
    " is not ",
    "should be",
    "is missing",
    "unknown key",
    "did you mean",
    "problems in",
    "no problem found",
    "declared processor",
    "HINT",
    "WARNINGS",
    "System check",
    "Nobody is told",
    "visitors' cookie choices",
)
FRENCH = (
    "n'est pas",
    "clé inconnue",
    "vouliez-vous dire",
    "problèmes dans",
    "aucun problème trouvé",
    "sous-traitant déclaré",
    "CONSEIL",
    "AVERTISSEMENTS",
    "La vérification",
    "Personne n'est prévenu",
    "choix de cookies des visiteurs",
)


def broken(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A manifest with four problems of different kinds, and the line of each."""
    draft = (
        Draft(VALID)
        .replace('legal_basis = "legitimate_interest"', 'legal_basis = "interet_legitime"')
        .replace(
            'retention = "3 years after last_contact"', 'retention = "3 yeers after last_contact"'
        )
        .replace(
            'country = "FR"\ndata_location',
            'country = "FR"\nprivacy_ur = "https://m.example"\ndata_location',
        )
        .replace(
            'recipients = ["mailer"]\nretention = "until',
            'recipients = ["postman"]\nretention = "until',
        )
    )
    where = {
        "basis": draft.line_of('"interet_legitime"'),
        "retention": draft.line_of('"3 yeers'),
        "key": draft.line_of("privacy_ur ="),
        "recipient": draft.line_of('"postman"'),
    }
    path = tmp_path / "gardien.toml"
    path.write_text(draft.text, encoding="utf-8")
    return path, where


def check(*args: str, lang: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("check", *args, lang=lang, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    except CommandError as exc:  # what the command line prints alone, with its exit code
        code = exc.returncode
        err.write(f"{exc}\n")
    return code, out.getvalue(), err.getvalue()


def problem(err: str, path: Path, line: int) -> str:
    prefix = f"  {path}:{line}: "
    found = [text.removeprefix(prefix) for text in err.splitlines() if text.startswith(prefix)]
    assert found, f"no problem at line {line}:\n{err}"
    return " ".join(found)


def test_it_says_the_manifests_problems_in_french(tmp_path):
    path, where = broken(tmp_path)
    code, out, err = check(str(path), lang="fr")
    assert code == 1
    assert out == ""
    assert err.splitlines()[0].endswith(f"problèmes dans {path} :")
    assert problem(err, path, where["basis"]) == (
        'traitement "contact": legal_basis "interet_legitime" n\'est pas permis ; utilisez '
        "l'une de ces valeurs : 'consent', 'contract', 'legal_obligation', 'vital_interests', "
        "'public_task' ou 'legitimate_interest'"
    )
    assert problem(err, path, where["retention"]).startswith(
        'traitement "contact": retention "3 yeers after last_contact" n\'est pas une durée ;'
    )
    assert 'clé inconnue "privacy_ur"' in problem(err, path, where["key"])
    assert 'vouliez-vous dire "privacy_url" ?' in problem(err, path, where["key"])
    assert 'le destinataire "postman" n\'est pas un sous-traitant déclaré' in problem(
        err, path, where["recipient"]
    )
    for english in ENGLISH:
        assert english not in err, english


def test_it_says_them_in_english_when_asked(tmp_path):
    path, where = broken(tmp_path)
    code, _out, err = check(str(path), lang="en")
    assert code == 1
    assert err.splitlines()[0].endswith(f"problems in {path}:")
    assert problem(err, path, where["basis"]).endswith("'public_task' or 'legitimate_interest'")
    assert 'activity "contact": retention "3 yeers after last_contact" is not a duration' in (
        problem(err, path, where["retention"])
    )
    assert 'did you mean "privacy_url"?' in problem(err, path, where["key"])
    assert 'recipient "postman" is not a declared processor' in problem(
        err, path, where["recipient"]
    )
    for french in FRENCH:
        assert french not in err, french


@pytest.mark.django_db
def test_the_start_up_checks_and_their_frame_are_french(settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    settings.GARDIEN_CONTACT_NOTIFY = []
    code, out, err = check(lang="fr")
    assert code == 0
    assert f"{coopo_path} : aucun problème trouvé" in out
    # The manifest's advice (gardien.W001): its periods in words, its hint in French.
    assert "(gardien.W001) Les choix de cookies des visiteurs sont gardés 12 mois" in err
    assert "CONSEIL : Pour la suivre" in err
    assert "jusqu'à 13 mois" in err
    # Django's system checks, with Gardien's own (gardien.W201) in French, framed in French.
    assert "La vérification a trouvé des problèmes :" in err
    assert "AVERTISSEMENTS :" in err
    assert "(gardien.W201) Personne n'est prévenu par e-mail des messages de contact" in err
    assert "La vérification a trouvé 1 problème (0 mis en sourdine)." in err
    for english in ENGLISH:
        assert english not in out + err, english


@pytest.mark.django_db
def test_the_start_up_checks_in_english(settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    settings.GARDIEN_CONTACT_NOTIFY = []
    code, out, err = check(lang="en")
    assert code == 0
    assert "(gardien.W001) The visitors' cookie choices are kept 12 months" in err
    assert "\tHINT: Without it, messages wait in the back office" in err
    assert "WARNINGS:" in err
    assert "System check identified 1 issue (0 silenced)." in err
    for french in FRENCH:
        assert french not in out + err, french


def test_the_real_command_reads_french_from_the_environment(gardien, tmp_path):
    path, _where = broken(tmp_path)
    result = gardien("check", str(path), env={"LC_ALL": "fr_FR.UTF-8", "LANG": "fr_FR.UTF-8"})
    assert result.returncode == 1
    assert "n'est pas un sous-traitant déclaré" in result.stderr
    assert "Traceback" not in result.stderr
    for english in ENGLISH:
        assert english not in result.stderr, english


@pytest.mark.django_db
def test_a_wrong_tag_or_name_is_one_sentence_in_the_readers_language(settings, coopo_path):
    settings.GARDIEN_MANIFEST = coopo_path
    code, out, err = check("--tag", "nope", lang="fr")
    assert (code, out) == (2, "")
    assert err.strip() == "Aucune vérification n'a l'étiquette « nope » ; --list-tags les liste."
    code, _out, err = check("nosuchapp", lang="en")
    assert code == 2
    assert err.strip() == (
        "“nosuchapp” is neither a manifest file nor one of Gardien's applications; "
        "give the path of a .toml file."
    )


def test_the_help_is_french_throughout(gardien):
    result = gardien("check", "--help", "--lang", "fr")
    assert result.returncode == 0
    assert "PATH" in result.stdout
    assert "vérifier aussi les réglages dont un serveur de" in result.stdout
    for english in ("Run only checks", "Check deployment settings", "app_label"):
        assert english not in result.stdout
