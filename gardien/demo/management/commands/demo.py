from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.audit.services import Actor
from gardien.backoffice import accounts, trail
from gardien.lib.command import GardienCommand
from gardien.site import services as site
from gardien.site.models import AddedFrom

USERNAME = "demo"
# The Coopo sites, allowed as a real deployment allows its own (`gardien site add-origin`): the
# demo pages themselves are served at SITE_URL, which is always allowed.
DEMO_ORIGINS = ("https://coopo.fr", "https://www.coopo.fr")


class Command(GardienCommand):
    help = gettext_lazy(
        "Prepares the demonstration started by `make run`: creates the back-office account "
        "“demo” and prints, once, its password and two-factor codes (authenticator key and "
        "backup codes). Run it again and it changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{setup}")
        sub.add_parser(
            "setup",
            help=_("create the demo back-office account if it does not exist"),
            description=_("Create the demo back-office account (password and codes printed once)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo account is a superuser whose password is printed: never on a real site.
        if settings.PRODUCTION:
            raise CommandError(
                _(
                    "gardien demo setup is refused when GARDIEN_PRODUCTION=true: it creates a "
                    "superuser for the demonstration. Create real accounts with "
                    "gardien staff add USERNAME --role ROLE."
                )
            )
        for origin in DEMO_ORIGINS:
            _row, added = site.add(origin, source=AddedFrom.DEMO, actor=Actor.system())
            if added:
                self.stdout.write(_("Allowed origin for the demo: %(origin)s") % {"origin": origin})
        User = get_user_model()
        if User.objects.filter(username=USERNAME).exists():
            self.stdout.write(
                _(
                    "The back-office account “%(name)s” exists; its password and codes were "
                    "printed when it was created. New ones: gardien changepassword %(name)s, "
                    "gardien staff otp-reset %(name)s"
                )
                % {"name": USERNAME}
            )
            return
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        with transaction.atomic():
            user = User.objects.create_superuser(USERNAME, email="", password=password)
            two_factor = accounts.provision_two_factor(user)
            trail.account_created(Actor.system(), user, "administrator")
        self.stdout.write("")
        self.stdout.write(
            "  "
            + _(
                "Back-office account created — shown only once (add the key to an "
                "authenticator app; log in with the password and its 6-digit code):"
            )
        )
        for line in accounts.credential_lines(USERNAME, password, two_factor):
            self.stdout.write(line)
        if self.stdout.isatty():
            self.stdout.write("    " + _("or scan this with the authenticator app:"))
            self.stdout.write(accounts.qr_text(two_factor.uri))
        self.stdout.write("")
        self.stdout.write(
            _("Demo ready: log in at /admin/ as “%(name)s” (superuser, two-factor).")
            % {"name": USERNAME}
        )
