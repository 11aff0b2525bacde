from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from gardien.lib import secrets


class Command(BaseCommand):
    help = (
        "Manages Gardien's secret keys. `init` creates var/secrets.json once for a development "
        "install (it never overwrites it: losing the keys makes encrypted data unreadable). "
        "`generate` prints fresh keys as environment variables for a production install."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{init,generate}")
        sub.add_parser(
            "init",
            help="create var/secrets.json if it does not exist",
            description="Create the local secret keys once (development).",
        )
        sub.add_parser(
            "generate",
            help="print new keys as environment variables",
            description="Print new secret keys for a production environment file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            for name, value in secrets.generate().items():
                self.stdout.write(f"{name}={value}")
            return
        path = settings.VAR_DIR / "secrets.json"
        if secrets.ensure(path):
            self.stdout.write(
                f"Generated the local secret keys in {path} (keep this file private)."
            )
        elif added := secrets.complete(path):
            self.stdout.write(
                f"Added {', '.join(added)} to the local secret keys in {path}; the other keys "
                "were kept."
            )
        else:
            names = ", ".join(json.loads(path.read_text(encoding="utf-8")))
            self.stdout.write(f"The local secret keys already exist in {path} ({names}).")
