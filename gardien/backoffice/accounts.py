"""Back-office accounts: creation with a role, two-factor devices, credentials shown once."""

from __future__ import annotations

import io
import secrets
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticToken

from gardien.audit.services import Actor
from gardien.backoffice import trail
from gardien.backoffice.roles import Role, apply_roles
from gardien.backoffice.throttle import unlock_username
from gardien.vault.models import EncryptedTOTPDevice, HashedStaticDevice

BACKUP_CODES = 10
TOTP_NAME = "Authenticator app"
STATIC_NAME = "Backup codes"


@dataclass(frozen=True)
class TwoFactor:
    """What a person needs to produce one-time codes; shown once, then only hashed or kept
    in the database."""

    secret: str  # base32, as authenticator apps take it
    uri: str  # otpauth://totp/…, what a QR code encodes
    backup_codes: list[str]


def random_password() -> str:
    """A password nobody chooses: 3 groups of 8 random url-safe characters."""
    while True:
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        try:
            validate_password(password)
        except ValidationError:  # pragma: no cover - astronomically unlikely
            continue
        return password


def provision_two_factor(user: Any) -> TwoFactor:
    """Replace the user's devices by a new TOTP secret and a new set of backup codes.

    The secret and the codes are returned to be shown once: the database keeps the
    secret encrypted and the codes hashed (gardien/vault/models.py).
    """
    with transaction.atomic():
        EncryptedTOTPDevice.objects.filter(user=user).delete()
        HashedStaticDevice.objects.filter(user=user).delete()
        totp = EncryptedTOTPDevice.create_for(user, TOTP_NAME)
        static = HashedStaticDevice.objects.create(user=user, name=STATIC_NAME, confirmed=True)
        codes: list[str] = []
        while len(codes) < BACKUP_CODES:
            code = StaticToken.random_token()
            if code not in codes:
                codes.append(code)
        static.add_codes(codes)
    unlock_username(user.get_username())
    return TwoFactor(
        secret=b32encode(totp.bin_key).decode("ascii"), uri=totp.config_url, backup_codes=codes
    )


def reset_two_factor(user: Any, actor: Actor | None = None) -> TwoFactor:
    """New two-factor devices for someone who lost theirs, audited (``staff otp-reset``)."""
    with transaction.atomic():
        two_factor = provision_two_factor(user)
        trail.second_factor_reset(actor or Actor.system(), user)
    return two_factor


def has_two_factor(user: Any) -> bool:
    return EncryptedTOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: Any) -> int:
    return HashedStaticDevice.objects.filter(user=user, confirmed=True).aggregate(
        left=models.Count("hashedstatictoken")
    )["left"]


def create_account(
    username: str, role: Role, password: str | None = None, actor: Actor | None = None
) -> tuple[Any, str, TwoFactor]:
    """Create a staff account in ``role`` with two-factor devices, audited as done by
    ``actor`` (the system: whoever runs ``gardien staff add``).

    Raises ``ValidationError`` (with every reason) for a taken or malformed username or a
    password the validators refuse; nothing is created then.
    """
    User = get_user_model()
    field = User._meta.get_field(User.USERNAME_FIELD)
    assert isinstance(field, models.Field)
    username = field.clean(username, None)
    if User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
        raise ValidationError(
            _("An account named “%(username)s” already exists.") % {"username": username}
        )
    if password is None:
        password = random_password()
    else:
        validate_password(password, User(**{User.USERNAME_FIELD: username}))
    with transaction.atomic():
        if not Group.objects.filter(name=role.group).exists():
            apply_roles()
        user = User._default_manager.create_user(username, password=password, is_staff=True)
        user.groups.add(Group.objects.get(name=role.group))
        two_factor = provision_two_factor(user)
        trail.account_created(actor or Actor.system(), user, role.slug)
    return user, password, two_factor


def credential_lines(username: str, password: str | None, two_factor: TwoFactor) -> list[str]:
    rows = [(_("username:"), username)]
    if password is not None:
        rows.append((_("password:"), password))
    rows += [(_("authenticator key:"), two_factor.secret), (_("or this link/QR:"), two_factor.uri)]
    # The values in one column, whatever the length of the labels in the reader's language.
    width = max(len(label) for label, _value in rows) + 2
    lines = [f"    {label:<{width}}{value}" for label, value in rows]
    lines.append("    " + _("backup codes (each works once, when the phone is not at hand):"))
    codes = two_factor.backup_codes
    for start in range(0, len(codes), 5):
        lines.append("      " + "   ".join(codes[start : start + 5]))
    return lines


def qr_text(uri: str) -> str:
    """The otpauth link as a QR code drawn with characters, for a terminal."""
    import qrcode

    code = qrcode.QRCode(border=1)
    code.add_data(uri)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()
