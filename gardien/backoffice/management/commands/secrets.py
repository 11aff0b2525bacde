from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gardien.lib import secrets
from gardien.lib.command import GardienCommand


class Command(GardienCommand):
    help = gettext_lazy(
        "Manages Gardien's secret keys. `init` creates var/secrets.json once for a development "
        "install (it never overwrites it: losing the keys makes encrypted data unreadable). "
        "`generate` prints fresh keys as environment variables for a production install."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{init,generate}")
        sub.add_parser(
            "init",
            help=_("create var/secrets.json if it does not exist"),
            description=_("Create the local secret keys once (development)."),
        )
        sub.add_parser(
            "generate",
            help=_("print new keys as environment variables"),
            description=_("Print new secret keys for a production environment file."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            for name, value in secrets.generate().items():
                self.stdout.write(f"{name}={value}")
            return
        path = settings.VAR_DIR / "secrets.json"
        if secrets.ensure(path):
            self.stdout.write(
                _("Generated the local secret keys in %(path)s (keep this file private).")
                % {"path": path}
            )
        elif added := secrets.complete(path):
            self.stdout.write(
                _("Added %(names)s to the local secret keys in %(path)s; the other keys were kept.")
                % {"names": ", ".join(added), "path": path}
            )
        else:
            names = ", ".join(json.loads(path.read_text(encoding="utf-8")))
            self.stdout.write(
                _("The local secret keys already exist in %(path)s (%(names)s).")
                % {"path": path, "names": names}
            )
