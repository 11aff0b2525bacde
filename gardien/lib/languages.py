"""The languages Gardien speaks, and which one a command-line reader gets, known before the
settings load: a malformed setting (and ``gardien --help``) is said in the reader's language
too, although Django's translation machinery needs the very settings that failed.

    from gardien.lib import languages

    languages.LANGUAGE_CODE                      # "fr": settings.LANGUAGE_CODE comes from here
    languages.of_command_line(["--lang", "en"])  # --lang, else LC_ALL/LC_MESSAGES/LANG, else fr
    languages.translate("Configuration error", "fr")   # from the compiled French catalogue

Strings translated this way are marked with this module's ``gettext_noop`` where they are
written (Django's needs the settings), so the catalogue holds them like any other.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
CODES = tuple(code for code, _name in LANGUAGES)
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

# The environment variables that name the user's language, strongest first (POSIX order).
VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def of_environment(env: Mapping[str, str] | None = None) -> str | None:
    """The language the environment asks for, if Gardien speaks it: ``fr_FR.UTF-8`` → ``fr``.

    The first of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set decides, as for any
    program; ``C`` or ``POSIX`` (no language) and a language Gardien does not speak give None.
    """
    env = os.environ if env is None else env
    for name in VARIABLES:
        value = env.get(name, "").strip()
        if value:
            code = re.split(r"[_.@-]", value, maxsplit=1)[0].lower()
            return code if code in CODES else None
    return None


def requested(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` in a command line, read before argparse builds the help."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def of_command_line(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """``--lang`` if Gardien speaks it, else the environment's language, else LANGUAGE_CODE."""
    asked = requested(argv)
    if asked in CODES:
        return str(asked)
    return of_environment(env) or LANGUAGE_CODE


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("django", LOCALE_DIR, languages=[language], fallback=True)


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue (makemessages looks for this name) and return it as
    it is; unlike Django's, usable before the settings load."""
    return message


def translate(message: str, language: str) -> str:
    """``message`` (an English msgid) in ``language``, read from the compiled catalogue."""
    return message if language == "en" else _catalogue(language).gettext(message)
