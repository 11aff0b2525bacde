from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gardien.backoffice import accounts
from gardien.backoffice.roles import BY_SLUG, GROUP_NAMES, ROLES, role_names
from gardien.lib import when
from gardien.lib.command import GardienCommand, InputError


def role_help() -> str:
    """Each role and what it may do, in the active language."""
    return "; ".join(f"{role.slug} = {role.description}" for role in ROLES)


class Command(GardienCommand):
    help = gettext_lazy(
        "Manages the people who may log in to the back office (/admin/). Each account has a "
        "role and needs two things to log in: its password and a 6-digit code from an "
        "authenticator app on a phone (or one of its backup codes). Passwords, authenticator "
        "keys and backup codes are shown once, when they are created: hand them over in person."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,otp-reset,list}")
        add = sub.add_parser(
            "add",
            help=_("create an account with a role, a password and two-factor codes"),
            description=_(
                "Create a back-office account. Gardien prints, once, a random password, the "
                "key to add to an authenticator app (Google Authenticator, FreeOTP, Aegis…) and "
                "%(count)d backup codes. Roles: %(roles)s."
            )
            % {"count": accounts.BACKUP_CODES, "roles": role_help()},
        )
        add.add_argument(
            "username",
            help=_(
                "the name the person will log in with, e.g. alice; if it starts with a dash (-), "
                "type -- before it, last: `gardien staff add --role viewer -- -alice`"
            ),
        )
        add.add_argument(
            "--role",
            required=True,
            choices=[role.slug for role in ROLES],
            help=_("what the person may see and do: %(roles)s") % {"roles": role_help()},
        )
        add.add_argument(
            "--choose-password",
            action="store_true",
            help=_("type the password yourself (asked twice, never shown) instead of a random one"),
        )
        reset = sub.add_parser(
            "otp-reset",
            help=_("give an account a new authenticator key and new backup codes"),
            usage="%(prog)s [-h] [--] USERNAME",
            description=_(
                "For someone who lost their phone or used all their backup codes: the old key "
                "and codes stop working, new ones are printed once, and the account's failed "
                "login count is cleared. The password does not change "
                "(to change it: gardien changepassword USERNAME)."
            ),
        )
        reset.add_argument(
            "username",
            help=_(
                "the account's username; if it starts with a dash (-), type -- before it: "
                "`gardien staff otp-reset -- -alice`"
            ),
        )
        sub.add_parser(
            "list",
            help=_("list the accounts, their role, two-factor status and last login"),
            description=_("List every back-office account: role, two-factor codes, last login."),
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
            user, password, two_factor = accounts.create_account(username, role, password)
        except ValidationError as exc:
            reasons = " ".join(exc.messages)
            raise InputError(
                _("The account was not created: %(reasons)s") % {"reasons": reasons}
            ) from None
        self.show(user.get_username(), None if choose else password, two_factor)
        self.stdout.write(
            _(
                "Created “%(name)s” with the role %(role)s (%(description)s); hand these "
                "details over in person."
            )
            % {"name": user.get_username(), "role": role.slug, "description": role.description}
        )

    def otp_reset(self, username: str) -> None:
        user = self.find(username)
        two_factor = accounts.reset_two_factor(user)
        self.show(user.get_username(), None, two_factor)
        self.stdout.write(
            _(
                "“%(name)s” has a new authenticator key and %(count)d new backup codes; the old "
                "ones no longer work."
            )
            % {"name": user.get_username(), "count": len(two_factor.backup_codes)}
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
        rows = [(_("username"), _("role"), _("two-factor"), _("last login"))]
        without = 0
        for user in users:
            roles = ", ".join(role_names(user)) or _("none (cannot log in)")
            if not user.is_active:
                roles += " " + _("(disabled)")
            if accounts.has_two_factor(user):
                two_factor = _("yes, %(count)d backup codes left") % {
                    "count": accounts.backup_codes_left(user)
                }
            else:
                two_factor = _("NO (cannot log in)")
                without += 1
            last = when.text(user.last_login, empty=_("never"))
            rows.append((user.get_username(), roles, two_factor, last))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        count = len(rows) - 1
        summary = ngettext(
            "%(count)d back-office account", "%(count)d back-office accounts", count
        ) % {"count": count}
        if without:
            summary = _(
                "%(accounts)s, %(without)d without two-factor codes (give them some with "
                "gardien staff otp-reset USERNAME)"
            ) % {"accounts": summary, "without": without}
        self.stdout.write(summary + ".")

    def find(self, username: str) -> Any:
        User = get_user_model()
        try:
            return User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(
                _("There is no account named “%(name)s”; see them all with: gardien staff list")
                % {"name": username}
            ) from None

    def ask_password(self) -> str:
        try:
            first = getpass.getpass(_("Password (at least 12 characters, not a common one): "))
            second = getpass.getpass(_("The same password again: "))
        except (EOFError, KeyboardInterrupt):
            raise CommandError(_("No password was typed; the account was not created.")) from None
        if first != second:
            raise InputError(_("The two passwords differ; the account was not created."))
        return first

    def show(self, username: str, password: str | None, two_factor: accounts.TwoFactor) -> None:
        self.stdout.write("")
        self.stdout.write("  " + _("Shown only once — hand over or write down now:"))
        for line in accounts.credential_lines(username, password, two_factor):
            self.stdout.write(line)
        if self.stdout.isatty():
            self.stdout.write("    " + _("or scan this with the authenticator app:"))
            self.stdout.write(accounts.qr_text(two_factor.uri))
        self.stdout.write("")
