"""The ``gardien`` command: Django's manage.py, with Gardien's settings built in.

The overview (``gardien --help``) and a configuration error are said in the reader's language
(``--lang``, else ``LANG``…, else French) before the settings load: the settings are what a
configuration error is about, so both read the catalogue through :mod:`gardien.lib.languages`.
"""

from __future__ import annotations

import os
import sys
import textwrap

from gardien.lib import languages
from gardien.lib.languages import gettext_noop

# The overview's commands: what to type, then what it does (English, translated when shown).
COMMANDS = [
    (
        "gardien check [PATH]",
        gettext_noop("check the manifest (gardien.toml) and list every problem"),
    ),
    (
        "gardien policy publish",
        gettext_noop("publish a new version of the policy if the manifest changed"),
    ),
    ("gardien policy history", gettext_noop("list the published versions")),
    (
        "gardien register export",
        gettext_noop("export the record of processing activities (pdf, csv, json or html)"),
    ),
    (
        "gardien site add-origin URL",
        gettext_noop(
            "allow a web site to show the banner and the forms (gardien site origins lists them)"
        ),
    ),
    ("gardien runserver", gettext_noop("serve Gardien locally (development)")),
    ("gardien migrate", gettext_noop("create or update the database tables")),
    ("gardien secrets init", gettext_noop("generate the local secret keys once (development)")),
    (
        "gardien staff add NAME --role dpo|staff|viewer",
        gettext_noop("create a back-office account with its two-factor codes"),
    ),
    ("gardien staff list", gettext_noop("list the back-office accounts")),
    ("gardien worker", gettext_noop("send queued emails and processor calls (keep it running)")),
    (
        "gardien purge",
        gettext_noop(
            "delete the data whose retention period has ended (the worker does it daily); "
            "--dry-run shows what is due"
        ),
    ),
    (
        "gardien rights list",
        gettext_noop("the rights requests by due date (gardien rights --help)"),
    ),
    ("gardien audit verify", gettext_noop("check that the audit log has not been tampered with")),
    ("gardien keys rotate", gettext_noop("re-encrypt personal data under new keys")),
    ("gardien keys check", gettext_noop("check that the configured keys are the data's")),
    (
        "gardien logs --write",
        gettext_noop("keep the server's logs only as long as the policy says (system journal)"),
    ),
    (
        "gardien backup --to FILE",
        gettext_noop("save an encrypted copy of everything Gardien keeps"),
    ),
    (
        "gardien restore --from FILE",
        gettext_noop("put a copy back into a new Gardien, keeping every erasure made since"),
    ),
    ("gardien consent show ID", gettext_noop("show the proofs of a visitor's cookie choices")),
    (
        "gardien consent verify [--id ID]",
        gettext_noop("check that no sealed proof of consent was changed or removed"),
    ),
    (
        "gardien audience report --from DATE --to DATE",
        gettext_noop("the site's audience statistics for a period"),
    ),
]

# Where the descriptions start, and the width of the lines (a terminal's 80 columns and more).
COLUMN = 34
WIDTH = 96


def overview(language: str) -> str:
    """``gardien --help``: the everyday commands, in ``language``."""

    def say(text: str) -> str:
        return languages.translate(text, language)

    lines = [say(gettext_noop("Gardien keeps the promises of your privacy policy.")), ""]
    lines.append(say(gettext_noop("Everyday commands:")))
    for command, description in COMMANDS:
        usage = f"  {command}"
        wrapped = textwrap.wrap(say(description), WIDTH - COLUMN, break_on_hyphens=False)
        if len(usage) < COLUMN:
            lines.append(usage.ljust(COLUMN) + wrapped[0])
            wrapped = wrapped[1:]
        else:
            lines.append(usage)
        lines += [" " * COLUMN + line for line in wrapped]
    lines += [
        "",
        say(
            gettext_noop("Every command explains itself with --help, e.g. `gardien policy --help`.")
        ),
        say(gettext_noop("Messages are in French or English: --lang en, or LANG=en_US.UTF-8.")),
        say(gettext_noop("All of Django's commands are available too: `gardien help --all`.")),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
    language = languages.of_command_line(args[1:])
    # `gardien --lang en rights list` as well as `gardien rights list --lang en`: Django takes
    # the first word for the command's name, so a leading --lang moves after it.
    lang: list[str] = []
    if len(args) > 2 and args[1] == "--lang":
        lang, args = args[1:3], [args[0], *args[3:]]
    elif len(args) > 1 and args[1].startswith("--lang="):
        lang, args = args[1:2], [args[0], *args[2:]]
    if len(args) < 2 or args[1] in ("-h", "--help") or args[1:] == ["help"]:
        sys.stdout.write(overview(language))
        return
    args = [*args[:2], *lang, *args[2:]]
    if args[1:] == ["help", "--all"]:
        args = args[:2]
    from gardien.lib.env import EnvError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(args)
    except EnvError as exc:
        prefix = languages.translate(gettext_noop("Configuration error: %(sentence)s"), language)
        sys.stderr.write(prefix % {"sentence": exc.sentence(language)} + "\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
