from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

USERNAME = "demo"


class Command(BaseCommand):
    help = (
        "Prepares the demonstration started by `make run`: creates the back-office account "
        "“demo” and prints its password once. Run it again and it changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{setup}")
        sub.add_parser("setup", help="create the demo back-office account if it does not exist",
                       description="Create the demo back-office account (password printed once).")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(username=USERNAME).exists():
            self.stdout.write(
                f"The back-office account “{USERNAME}” exists; its password was printed when it was "
                f"created. To set a new one: gardien changepassword {USERNAME}"
            )
            return
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        User.objects.create_superuser(USERNAME, email="", password=password)
        self.stdout.write("")
        self.stdout.write("  Back-office account created — this password is shown only once:")
        self.stdout.write(f"    username: {USERNAME}")
        self.stdout.write(f"    password: {password}")
        self.stdout.write("")
