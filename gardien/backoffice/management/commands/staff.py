from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone, translation

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG, GROUP_NAMES, ROLES, role_names

ROLE_HELP = "; ".join(f"{role.slug} = {role.description}" for role in ROLES)


class Command(BaseCommand):
    help = (
        "Manages the people who may log in to the back office (/admin/). Each account has a "
        "role and needs two things to log in: its password and a 6-digit code from an "
        "authenticator app on a phone (or one of its backup codes). Passwords, authenticator "
        "keys and backup codes are shown once, when they are created: hand them over in person."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,otp-reset,list}")
        add = sub.add_parser(
            "add",
            help="create an account with a role, a password and two-factor codes",
            description=(
                "Create a back-office account. Gardien prints, once, a random password, the "
                "key to add to an authenticator app (Google Authenticator, FreeOTP, Aegis…) and "
                f"{accounts.BACKUP_CODES} backup codes. Roles: {ROLE_HELP}."
            ),
        )
        add.add_argument(
            "username",
            help=(
                "the name the person will log in with, e.g. alice; if it starts with a dash (-), "
                "type -- before it, last: `gardien staff add --role viewer -- -alice`"
            ),
        )
        add.add_argument(
            "--role",
            required=True,
            choices=[role.slug for role in ROLES],
            help="what the person may see and do: " + ROLE_HELP,
        )
        add.add_argument(
            "--choose-password",
            action="store_true",
            help="type the password yourself (asked twice, never shown) instead of a random one",
        )
        reset = sub.add_parser(
            "otp-reset",
            help="give an account a new authenticator key and new backup codes",
            usage="%(prog)s [-h] [--] USERNAME",
            description=(
                "For someone who lost their phone or used all their backup codes: the old key "
                "and codes stop working, new ones are printed once, and the account's failed "
                "login count is cleared. The password does not change "
                "(to change it: gardien changepassword USERNAME)."
            ),
        )
        reset.add_argument(
            "username",
            help=(
                "the account's username; if it starts with a dash (-), type -- before it: "
                "`gardien staff otp-reset -- -alice`"
            ),
        )
        sub.add_parser(
            "list",
            help="list the accounts, their role, two-factor status and last login",
            description="List every back-office account: role, two-factor codes, last login.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self.add(options["username"], options["role"], options["choose_password"])
        elif action == "otp-reset":
            self.otp_reset(options["username"])
        else:
            self.list_accounts()

    def add(self, username: str, slug: str, choose: bool) -> None:
        role = BY_SLUG[slug]
        password = self.ask_password() if choose else None
        try:
            with translation.override("en"):  # the command speaks English throughout
                user, password, two_factor = accounts.create_account(username, role, password)
        except ValidationError as exc:
            reasons = " ".join(exc.messages)
            raise CommandError(f"The account was not created: {reasons}") from None
        self.show(user.get_username(), None if choose else password, two_factor)
        self.stdout.write(
            f"Created “{user.get_username()}” with the role {role.slug} ({role.description}); "
            "hand these details over in person."
        )

    def otp_reset(self, username: str) -> None:
        user = self.find(username)
        two_factor = accounts.reset_two_factor(user)
        self.show(user.get_username(), None, two_factor)
        self.stdout.write(
            f"“{user.get_username()}” has a new authenticator key and "
            f"{len(two_factor.backup_codes)} new backup codes; the old ones no longer work."
        )

    def list_accounts(self) -> None:
        User = get_user_model()
        users = (
            User._default_manager.filter(
                Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name__in=GROUP_NAMES)
            )
            .distinct()
            .order_by(User.USERNAME_FIELD)
        )
        rows = [("username", "role", "two-factor", "last login")]
        without = 0
        for user in users:
            roles = ", ".join(role_names(user)) or "none (cannot log in)"
            if not user.is_active:
                roles += " (disabled)"
            if accounts.has_two_factor(user):
                two_factor = f"yes, {accounts.backup_codes_left(user)} backup codes left"
            else:
                two_factor = "NO (cannot log in)"
                without += 1
            last = (
                timezone.localtime(user.last_login).strftime("%Y-%m-%d %H:%M")
                if user.last_login
                else "never"
            )
            rows.append((user.get_username(), roles, two_factor, last))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        count = len(rows) - 1
        summary = f"{count} back-office account{'s' if count != 1 else ''}"
        if without:
            summary += (
                f", {without} without two-factor codes (give them some with "
                "gardien staff otp-reset USERNAME)"
            )
        self.stdout.write(summary + ".")

    def find(self, username: str) -> Any:
        User = get_user_model()
        try:
            return User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(
                f"There is no account named “{username}”; see them all with: gardien staff list"
            ) from None

    def ask_password(self) -> str:
        try:
            first = getpass.getpass("Password (at least 12 characters, not a common one): ")
            second = getpass.getpass("The same password again: ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError("No password was typed; the account was not created.") from None
        if first != second:
            raise CommandError("The two passwords differ; the account was not created.")
        return first

    def show(self, username: str, password: str | None, two_factor: accounts.TwoFactor) -> None:
        self.stdout.write("")
        self.stdout.write("  Shown only once — hand over or write down now:")
        for line in accounts.credential_lines(username, password, two_factor):
            self.stdout.write(line)
        if self.stdout.isatty():
            self.stdout.write("    or scan this with the authenticator app:")
            self.stdout.write(accounts.qr_text(two_factor.uri))
        self.stdout.write("")
