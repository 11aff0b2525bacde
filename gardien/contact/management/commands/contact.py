from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.contact import notice, services
from gardien.lib.command import GardienCommand
from gardien.manifest import wording as say
from gardien.policy import services as policy


class Command(GardienCommand):
    help = gettext_lazy(
        "The contact form for another site. `snippet` prints the HTML to paste into a page of "
        "your site (Framer, WordPress, a static page): the form of the published policy, which "
        "sends messages to Gardien. Generate it again after publishing a change to the form."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{snippet}")
        snippet = sub.add_parser(
            "snippet",
            help=_("print the HTML of the form to paste into your site"),
            description=_("Print the HTML of the contact form to paste into a page of your site."),
        )
        snippet.add_argument(
            "--language",
            choices=say.LANGUAGES,
            default=say.DEFAULT_LANGUAGE,
            help=_("language of the form (default: fr)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(snippet(options["language"]), ending="")


def snippet(lang: str) -> str:
    """The copy-paste HTML of the published contact form in ``lang``."""
    found = services.contact_activity()
    current = policy.published()
    if found is None or current is None:
        raise CommandError(
            _(
                "The published policy has no contact activity; declare one and run "
                "“gardien policy publish”."
            )
        )
    version, activity = found
    with translation.override(lang):
        form = services.form(activity, lang)
        form.auto_id = "gardien_%s"
        return render_to_string(
            "contact/snippet.html",
            {
                **notice.notice_context(current.manifest, lang),
                "form": form,
                "lang": lang,
                "version": version,
                "site_url": settings.SITE_URL,
                "action": reverse("contact-lang", kwargs={"lang": lang}),
                "notice_url": reverse("contact-lang", kwargs={"lang": lang}) + "#notice-title",
                "challenge_url": reverse("antispam-challenge"),
                "script_url": static("antispam/altcha.js"),
                "honeypot_id": "gardien_website_url",
                "honeypot_hidden": True,
            },
        )
