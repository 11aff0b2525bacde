"""The base of every ``gardien`` command: French or English, a help without Django's developer
options, and errors as one sentence.

A DPO reads these commands, not a Django developer. So a command built on ``GardienCommand``:

- speaks the language asked with ``--lang fr|en``, else the one of the environment (``LC_ALL``,
  ``LC_MESSAGES``, ``LANG``: ``fr_FR.UTF-8`` is French), else ``LANGUAGE_CODE``; the language is
  active before the help is built, so help texts written with ``gettext_lazy`` come out in it;
- hides Django's developer options (``--settings``, ``--pythonpath``, ``--traceback``,
  ``--verbosity``, ``--no-color``, ``--force-color``, ``--skip-checks``, ``--version``) from its
  help; they still work;
- prints a ``CommandError`` as its sentence alone on stderr (no "CommandError:", no traceback
  unless ``--traceback``) and exits with the error's code; argparse's own usage errors come out
  as a sentence in the same language, with exit code 2.

How to write one::

    from django.utils.translation import gettext as _, gettext_lazy

    from gardien.lib.command import GardienCommand, InputError


    class Command(GardienCommand):
        help = gettext_lazy("Manages the keys that encrypt personal data.")
        epilog = gettext_lazy("Put the new key first, run `rotate`, then remove the old one.")

        def add_arguments(self, parser):
            parser.add_argument("--batch-size", type=int, default=500,
                                help=gettext_lazy("rows per batch (default 500)"))

        def handle(self, *args, **options):
            if options["batch_size"] < 1:
                raise InputError(_("--batch-size must be at least 1."))  # exit code 2
            self.stdout.write(_("Re-encrypted %(rows)d rows.") % {"rows": 12})

Write every string a person reads with ``gettext`` (at run time) or ``gettext_lazy`` (in class
attributes and ``add_arguments``), with its French in the catalogue, and every date through
``gardien.lib.when``. ``call_command`` keeps the caller's active language unless ``lang="fr"``
or ``lang="en"`` is given, so tests pick theirs with ``translation.override``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
    SystemCheckError,
    handle_default_options,
)
from django.db import OperationalError, ProgrammingError, connections
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.lib import languages

LANGUAGE_VARIABLES = languages.VARIABLES


def _missing_table(exc: Exception) -> bool:
    """Whether a database error says a table does not exist (SQLite, PostgreSQL)."""
    text = str(exc)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


class InputError(CommandError):
    """Bad usage or input (a date that is not a date, a malformed id): exit code 2, as argparse
    gives for a usage error. Something looked for and not found stays a ``CommandError`` (1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=2)


# argparse's own messages (Python's "argparse" catalogue, not ours), as sentences in our language.
# Each pattern matches argparse's English text; the translation receives the named groups.
_ARGPARSE_HEADINGS = {
    "positional arguments": gettext_lazy("arguments"),
    "options": gettext_lazy("options"),
    "subcommands": gettext_lazy("actions"),
}


def _missing(groups: dict[str, str]) -> str:
    names = groups["names"]
    if names.startswith("{") and names.endswith("}"):  # a required action: {rotate,check}
        return _("say which action: %(choices)s.") % {"choices": ", ".join(names[1:-1].split(","))}
    if ", " in names:
        return _("these are missing: %(names)s.") % groups
    return _("%(names)s is missing.") % groups


def _argparse_messages() -> list[tuple[re.Pattern[str], Callable[[dict[str, str]], str]]]:
    def say(text: str) -> Callable[[dict[str, str]], str]:
        return lambda groups: text % groups

    return [
        (
            re.compile(r"the following arguments are required: (?P<names>.+)"),
            _missing,
        ),
        (
            re.compile(r"unrecognized arguments: (?P<args>.+)"),
            lambda g: _("%(args)s is not an option of this command.") % g,
        ),
        (
            re.compile(r"argument (?P<argument>[^:]+): (?P<message>.+)", re.S),
            lambda g: (
                _("%(argument)s: %(message)s")
                % {"argument": g["argument"], "message": translate_argparse(g["message"])}
            ),
        ),
        (
            re.compile(r"invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)"),
            lambda g: _("%(value)s is not one of %(choices)s.") % g,
        ),
        (
            re.compile(r"invalid (?P<type>\w+) value: (?P<value>.+)"),
            lambda g: (
                _("%(value)s is not a whole number.") % g
                if g["type"] == "int"
                else _("%(value)s is not a valid value.") % g
            ),
        ),
        (re.compile(r"expected one argument"), say(_("a value is missing after it."))),
        (re.compile(r"expected at least one argument"), say(_("a value is missing after it."))),
        (
            re.compile(r"one of the arguments (?P<names>.+) is required"),
            lambda g: _("one of %(names)s is needed.") % g,
        ),
        (
            re.compile(r"not allowed with argument (?P<name>.+)"),
            lambda g: _("it cannot be used with %(name)s.") % g,
        ),
        (
            re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)"),
            lambda g: _("%(option)s could be %(matches)s; write the option in full.") % g,
        ),
    ]


def translate_argparse(message: str) -> str:
    """One of argparse's English error messages as a sentence in the active language."""
    for pattern, sentence in _argparse_messages():
        match = pattern.fullmatch(message.strip())
        if match:
            return sentence(match.groupdict())
    return message


class GardienHelpFormatter(DjangoHelpFormatter):
    """Django's formatter with argparse's own words ("usage:", "options:") in our language."""

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        # argparse would cut "gardien-rights-request/1" or "R-7KX2M9QWPD" at a hyphen; a DPO
        # copies such names from the help, so lines break at spaces only.
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )

    def start_section(self, heading: str | None) -> None:
        if heading in _ARGPARSE_HEADINGS:
            heading = str(_ARGPARSE_HEADINGS[heading])
        super().start_section(heading)


class GardienParser(CommandParser):
    """Django's parser with our formatter, a translated ``-h``, ``--lang`` on every action,
    and usage errors as a sentence in the active language (exit code 2)."""

    def __init__(self, *, subcommand: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", GardienHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(add_help=False, **kwargs)
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help=_("show this help and exit"),
            )
        if subcommand:
            # `gardien keys rotate --lang en` works too, and so do the developer options after
            # the action: what is given joins the command's options, what is not stays unset.
            add_developer_options(self, action=True)
            add_language_option(self, default=argparse.SUPPRESS)

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("title", str(_ARGPARSE_HEADINGS["subcommands"]))
        kwargs.setdefault("parser_class", ActionParser)
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> Any:  # type: ignore[override]
        sentence = translate_argparse(message)
        sentence = sentence[:1].upper() + sentence[1:]
        if not self.called_from_command_line:
            raise InputError(sentence)
        self.print_usage(sys.stderr)
        hint = _("See `%(prog)s --help`.") % {"prog": self.prog}
        self.exit(2, f"{self.prog}: {sentence} {hint}\n")


class ActionParser(GardienParser):
    """The parser of an action (``gardien keys rotate``): it takes ``--lang`` too."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(subcommand=True, **kwargs)


def add_developer_options(
    parser: argparse.ArgumentParser, *, action: bool, checks: bool = True
) -> None:
    """Django's options, hidden from the help; on an action's parser, unset unless given."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if action else value

    hidden = argparse.SUPPRESS
    parser.add_argument(
        "-v", "--verbosity", default=default(1), type=int, choices=[0, 1, 2, 3], help=hidden
    )
    parser.add_argument("--settings", default=default(None), help=hidden)
    parser.add_argument("--pythonpath", default=default(None), help=hidden)
    for flag in ("--traceback", "--no-color", "--force-color", *(("--skip-checks",) * checks)):
        parser.add_argument(flag, action="store_true", default=default(False), help=hidden)


def add_language_option(parser: argparse.ArgumentParser, *, default: Any = None) -> None:
    parser.add_argument(
        "--lang",
        choices=languages.CODES,
        default=default,
        help=_(
            "language of the messages (default: from LANG, e.g. LANG=fr_FR.UTF-8, else %(code)s)"
        )
        % {"code": settings.LANGUAGE_CODE},
    )


class GardienCommand(BaseCommand):
    """A Gardien command: see the module's docstring for what it gives and how to write one."""

    # What the command does, then words after the options (an example, a warning), both
    # written with gettext_lazy so --help shows them in the command's language.
    help: Any = ""
    epilog: Any = None

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:  # type: ignore[override]
        # Django's own create_parser builds a plain CommandParser with every option shown; this
        # builds ours with the same options (execute() and call_command() rely on them), hidden.
        parser = GardienParser(
            prog=f"{os.path.basename(prog_name)} {subcommand}",
            description=str(self.help) if self.help else None,
            epilog=str(self.epilog) if self.epilog else None,
            missing_args_message=getattr(self, "missing_args_message", None),
            called_from_command_line=getattr(self, "_called_from_command_line", None),
            **kwargs,
        )
        parser.add_argument(
            "--version", action="version", version=self.get_version(), help=argparse.SUPPRESS
        )
        add_developer_options(parser, action=False, checks=bool(self.requires_system_checks))
        add_language_option(parser)
        self.add_arguments(parser)
        return parser

    def check(self, *args: Any, **kwargs: Any) -> None:
        """Django's system check, its words ("ERRORS", "HINT") in the command's language."""
        from gardien.lib import checkwords

        checkwords.check(self, *args, **kwargs)

    def print_help(self, prog_name: str, subcommand: str) -> None:
        # `gardien help NAME [--lang en]` comes here without run_from_argv.
        with translation.override(languages.of_command_line(sys.argv[1:])):
            super().print_help(prog_name, subcommand)

    def run_from_argv(self, argv: list[str]) -> None:
        """Django's run_from_argv, with the language chosen first and errors as one sentence."""
        self._called_from_command_line = True
        translation.activate(languages.of_command_line(argv[2:]))
        parser = self.create_parser(argv[0], argv[1])
        options = parser.parse_args(argv[2:])
        cmd_options = vars(options)
        args = cmd_options.pop("args", ())
        handle_default_options(options)
        try:
            self.execute(*args, **cmd_options)
        except CommandError as exc:
            if options.traceback:
                raise
            if isinstance(exc, SystemCheckError):  # formats itself, several lines
                self.stderr.write(str(exc), lambda text: text)
            else:
                self.stderr.write(str(exc))
            sys.exit(exc.returncode)
        except (OperationalError, ProgrammingError) as exc:
            # A table missing: the database was never prepared, or not since an upgrade.
            if options.traceback or not _missing_table(exc):
                raise
            self.stderr.write(
                _(
                    "The database is not ready for this version of Gardien: run "
                    "`gardien migrate`, then this command again."
                )
            )
            sys.exit(1)
        finally:
            with contextlib.suppress(ImproperlyConfigured):  # settings never configured
                connections.close_all()

    def execute(self, *args: Any, **options: Any) -> Any:
        language = options.get("lang")
        if language:
            with translation.override(language):
                return super().execute(*args, **options)
        return super().execute(*args, **options)
