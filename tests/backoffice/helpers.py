"""Helpers of the back-office tests: accounts, one-time codes, logging in through the form."""

from __future__ import annotations

import re
from base64 import b32decode
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

from gardien.backoffice import accounts
from gardien.vault.models import EncryptedTOTPDevice

LOGIN = "/admin/login/"
PASSWORD = "Plenty-Long-Passphrase-4-Tests"


@dataclass
class Account:
    user: Any
    password: str
    two_factor: accounts.TwoFactor

    @property
    def username(self) -> str:
        return self.user.get_username()

    @property
    def device(self) -> EncryptedTOTPDevice:
        return EncryptedTOTPDevice.objects.get(user=self.user)

    def code(self) -> str:
        """The current 6-digit code, computed from the printed base32 key like an app does."""
        return f"{totp(b32decode(self.two_factor.secret)):06d}"


def current_code(secret: str) -> str:
    return f"{totp(b32decode(secret)):06d}"


def post_login(client: Client, username: str, password: str, code: str, **extra: Any) -> Any:
    return client.post(
        LOGIN + "?next=/admin/",
        {"username": username, "password": password, "otp_token": code, "next": "/admin/"},
        **extra,
    )


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


REFUSED = "Incorrect username, password or code, or too many attempts."


def new_client(**kwargs: Any) -> Client:
    """A browser asking for English pages (French is the default language)."""
    return Client(headers={"Accept-Language": "en"}, **kwargs)


def verified_client(account: Account) -> Client:
    """A client logged in through the login form with the account's current TOTP code."""
    client = new_client()
    response = post_login(client, account.username, account.password, account.code())
    assert response.status_code == 302, response.text
    assert is_logged_in(client)
    return client


def otp_session_client(account: Account) -> Client:
    """A client whose session is logged in and OTP-verified by django-otp's session key,
    for accounts the login form refuses (no role)."""
    client = new_client()
    client.force_login(account.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = account.device.persistent_id
    session.save()
    return client


_VOLATILE = [
    (
        re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'),
        'name="csrfmiddlewaretoken" value=""',
    ),
    (re.compile(r'nonce="[^"]+"'), 'nonce=""'),
]


def normalised(html: str, username: str) -> str:
    for pattern, replacement in _VOLATILE:
        html = pattern.sub(replacement, html)
    return html.replace(f'value="{username}"', 'value="USERNAME"')
