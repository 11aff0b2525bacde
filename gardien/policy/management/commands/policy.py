"""``gardien policy publish|history``: publishing the policy is a deliberate act.

``publish`` shows what the new version would change against the one in force, the date it
will carry, and asks to confirm; ``--yes`` skips the question (scripts, deployments). Without a
terminal to answer in and without ``--yes`` it publishes nothing and says so (exit code 2), so a
script never publishes by accident. ``--if-none-published`` is ``make run``'s: it publishes
only when no version is published yet (a fresh clone), and otherwise says in one line whether
the manifest has changes waiting, and where to review them.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.lib import clock, when
from gardien.lib.command import GardienCommand, InputError
from gardien.manifest import ManifestError
from gardien.manifest import wording as say
from gardien.policy import publishing
from gardien.policy import services as policy
from gardien.policy.models import NOTE_MAX_LENGTH, PolicyVersion

# What a person may answer to "publish? [y/N]" to say yes, in either language.
YES = frozenset({"y", "yes", "o", "oui"})


class Command(GardienCommand):
    help: Any = gettext_lazy(
        "Publishes the privacy policy. `publish` shows what the manifest changes against the "
        "version in force and, once you confirm, records a new version (its date becomes the "
        "policy's “Last updated”); it does nothing when the manifest is unchanged. `history` "
        "lists the published versions."
    )
    # call_command(..., stdin=...) answers the question in tests.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{publish,history}")
        pub = sub.add_parser(
            "publish",
            help=_("publish a new version if the manifest changed"),
            description=_(
                "Publish a new version of the privacy policy if the manifest changed: see what "
                "changes, then confirm."
            ),
        )
        pub.add_argument(
            "--note",
            default="",
            help=_(
                "a short note shown in the version history, in French (and in English too "
                'unless --note-en is given), e.g. --note "Nouveau sous-traitant : Brevo"'
            ),
        )
        pub.add_argument(
            "--note-en",
            default="",
            help=_('the note in English, e.g. --note-en "New processor: Brevo"'),
        )
        pub.add_argument(
            "-y",
            "--yes",
            action="store_true",
            help=_("publish without asking to confirm (scripts, deployments)"),
        )
        pub.add_argument(
            "--if-none-published",
            action="store_true",
            help=_(
                "publish only if no version is published yet, without asking (first start); "
                "otherwise publish nothing and say whether the manifest has unpublished changes"
            ),
        )
        pub.add_argument(
            "--manifest",
            default=None,
            help=_("manifest file to publish (default: GARDIEN_MANIFEST)"),
        )
        pub.add_argument(
            "--dry-run",
            action="store_true",
            help=_("only show what a publication would change; publish nothing"),
        )
        pub.add_argument(
            "--language",
            choices=say.LANGUAGES,
            default=None,
            help=_("the language of the policy text shown (default: the messages' language)"),
        )
        pub.add_argument(
            "--now",
            default=None,
            help=_(
                "publish as if it were this date, e.g. 2026-03-01 (tests and back-dating a "
                "first publication)"
            ),
        )
        sub.add_parser(
            "history",
            help=_("list the published versions"),
            description=_("List the published versions of the privacy policy."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "history":
            self._history()
        else:
            self._publish(options)

    def _language(self) -> str:
        language = translation.get_language() or say.DEFAULT_LANGUAGE
        return language if language in say.LANGUAGES else say.DEFAULT_LANGUAGE

    def _history(self) -> None:
        versions = PolicyVersion.objects.order_by("number")
        for v in versions:
            note = v.note_in(self._language())[0]
            self.stdout.write(
                _("version %(number)s  %(published)s  %(hash)s")
                % {
                    "number": v.number,
                    "published": when.text(v.published_at),
                    "hash": v.content_hash[:12],
                }
                + (f" — {note}" if note else "")
            )
        count = versions.count()
        self.stdout.write(
            ngettext("%(count)d version published.", "%(count)d versions published.", count)
            % {"count": count}
        )

    def _publish(self, options: dict[str, Any]) -> None:
        path = options["manifest"] or settings.GARDIEN_MANIFEST
        for option in ("note", "note_en"):
            if len(options[option]) > NOTE_MAX_LENGTH:
                raise InputError(
                    _("The note is longer than %(max)d characters; keep it to a sentence.")
                    % {"max": NOTE_MAX_LENGTH}
                )
        try:
            instant = clock.parse_instant(options["now"]) if options["now"] else clock.now()
        except clock.ClockError as exc:
            raise InputError(str(exc)) from None
        language = options["language"] or self._language()
        with translation.override(language):  # the policy's text as visitors in it read it
            changes = policy.draft_changes(language, path)
        if changes.problems:
            raise CommandError(
                _("The manifest has problems, nothing was published:")
                + "\n  "
                + "\n  ".join(changes.problems)
            )
        current = changes.published
        if options["if_none_published"] and current is not None:
            if changes.differs:
                self.stdout.write(self._waiting(current.number))
            return
        if not changes.differs:
            assert current is not None
            self.stdout.write(
                _("Nothing to publish: the manifest says the same as version %(number)s.")
                % {"number": current.number}
            )
            return
        if current is not None and instant < current.published_at:
            raise InputError(
                _("A version cannot be dated before version %(number)s (%(date)s); check --now.")
                % {"number": current.number, "date": when.day(current.published_at)}
            )
        number = current.number + 1 if current else 1
        if not options["if_none_published"]:
            self._show(changes, number, instant, full=options["dry_run"])
        if options["dry_run"]:
            self.stdout.write(_("Nothing was published (--dry-run)."))
            return
        if not (options["yes"] or options["if_none_published"]):
            self._confirm(number, options.get("stdin") or sys.stdin)
        try:
            with clock.frozen(instant):
                version = publishing.publish(
                    path,
                    note=options["note"],
                    note_en=options["note_en"],
                    expected_hash=changes.draft_hash,
                )
        except ManifestError as exc:
            raise CommandError(
                _("The manifest has problems, nothing was published:")
                + "\n  "
                + "\n  ".join(exc.lines())
            ) from None
        except policy.PublishRefused as exc:
            raise CommandError(str(exc)) from None
        if version is None:  # published meanwhile by someone else
            self.stdout.write(
                _("The manifest has not changed since the last version: nothing published.")
            )
            return
        self.stdout.write(
            _("Published version %(number)s of the privacy policy (%(date)s).")
            % {"number": version.number, "date": when.day(version.published_at)}
        )

    def _show(
        self, changes: policy.DraftChanges, number: int, instant: dt.datetime, *, full: bool
    ) -> None:
        """What a publication would change, and the date it would carry."""
        added = sum(1 for kind, _line in changes.lines if kind == "added")
        removed = len(changes.lines) - added
        if changes.published is None and not full:
            # A first publication adds the whole text: a count, not a screenful.
            self.stdout.write(
                _(
                    "No version is published yet: version 1 publishes the whole policy "
                    "(%(count)d lines; --dry-run shows them)."
                )
                % {"count": added}
            )
        else:
            for kind, line in changes.lines:
                self.stdout.write(f"{'+' if kind == 'added' else '-'} {line}")
        if changes.published is not None:
            self.stdout.write(
                _("Sections changed: %(sections)s.") % {"sections": ", ".join(changes.sections)}
            )
            if not changes.lines:
                self.stdout.write(_("The text of the policy stays the same."))
            else:
                self.stdout.write(
                    _("%(added)d line(s) added, %(removed)d removed.")
                    % {"added": added, "removed": removed}
                )
        self.stdout.write(
            _("Version %(number)d would be dated %(date)s (the policy's “Last updated”).")
            % {"number": number, "date": when.day(instant)}
        )

    def _confirm(self, number: int, stdin: TextIO) -> None:
        """Ask on the terminal; without one, say how to publish without the question."""
        if not stdin.isatty():
            raise InputError(
                _(
                    "Nothing was published: publishing asks you to confirm, and there is no "
                    "terminal to answer in. Add --yes to publish without the question."
                )
            )
        self.stdout.write(
            _("Publish version %(number)d of the privacy policy? [y/N] ") % {"number": number},
            ending="",
        )
        self.stdout.flush()
        answer = stdin.readline().strip().casefold()
        if answer not in YES:
            raise CommandError(_("Nothing was published."))

    def _waiting(self, number: int) -> str:
        """``make run``'s line when the manifest file differs from the version in force."""
        page = settings.SITE_URL + reverse("admin:policy-publish")
        return _(
            "The manifest has changes that are not published (version %(number)s is in force): "
            "review and publish them at %(page)s or with `gardien policy publish`."
        ) % {"number": number, "page": page}
