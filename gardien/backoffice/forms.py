"""The back-office login form: username, password and a one-time code, on one page."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.models import Device

from gardien.backoffice import tasks, trail
from gardien.backoffice.roles import has_role
from gardien.backoffice.throttle import NOTIFY_AFTER, Attempt, Refusal, Throttle
from gardien.processors.outbox import enqueue
from gardien.vault.models import EncryptedTOTPDevice, HashedStaticDevice

logger = logging.getLogger("gardien.backoffice.login")

# Refused logins anyone can cause, without the password: audited at most once a minute per
# account and network (the next entry counts the others).
SPACED_OUT = frozenset({"wrong_password", Refusal.DELAY.value})

REFUSED = ngettext_lazy(
    "Incorrect username, password or code, or too many attempts. "
    "Wait %(minutes)d minute and try again.",
    "Incorrect username, password or code, or too many attempts. "
    "Wait %(minutes)d minutes and try again.",
    "minutes",
)


def refused_message() -> str:
    minutes = settings.GARDIEN_LOGIN_LOCKOUT_MINUTES
    return str(REFUSED % {"minutes": minutes})


def normalise_code(raw: str) -> str:
    """Codes are read aloud and copied: ignore spaces, dashes and letter case."""
    return "".join(raw.split()).replace("-", "").lower()


def device_for_code(user: Any, code: str) -> Device | None:
    """The device a code belongs to, from its shape; never tries several devices.

    Six or eight digits come from the authenticator app (TOTP); anything else is a
    backup code. Trying each device in turn would count a failure on the others.
    """
    totp = code.isdigit() and len(code) in (6, 8)
    model: type[Device] = EncryptedTOTPDevice if totp else HashedStaticDevice
    return model.objects.select_for_update().filter(user=user, confirmed=True).first()


class CodeInput(forms.TextInput):
    """A one-time code is never shown back: after a refusal it is wrong or spent."""

    def format_value(self, value: Any) -> str | None:
        return None


class GardienLoginForm(OTPAdminAuthenticationForm):
    """Every refusal reads the same, whatever failed and whether the account exists.

    Wrong username, wrong password, wrong or missing device, wrong code, inactive
    account, no back-office role, too many attempts: one sentence, one page.
    """

    otp_device = None  # the device follows from the code's shape
    otp_challenge = None
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_(
            "The 6-digit code shown by the authenticator app on your phone, "
            "or one of your backup codes."
        ),
        widget=CodeInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    error_messages = {
        "invalid_login": REFUSED,
        "inactive": REFUSED,
    }

    def clean_otp_token(self) -> str:
        return normalise_code(self.cleaned_data.get("otp_token", ""))

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = self.cleaned_data.get("otp_token")
        if not (username and password and code):
            return self.cleaned_data  # the empty field says so itself
        throttle = Throttle.for_login(self.request, username)
        attempt = throttle.reserve()  # counted as a failure until it succeeds
        if attempt.refusal is not None:
            logger.warning(
                "back-office login refused: %s (key %s)", attempt.refusal.value, throttle.tag
            )
            if attempt.refusal is Refusal.DELAY:  # bounded: they count towards the address's limit
                with transaction.atomic():
                    self._audit_failure(throttle, username, attempt.refusal.value)
            raise self._refusal()
        step = "password"
        try:
            user = authenticate(self.request, username=username, password=password)
            if user is None:
                raise self._refusal()
            step = "not_allowed"
            self.confirm_login_allowed(user)
            step = "code"
            device = self._check_code(user, code)
        except ValidationError:
            self._failed(throttle, attempt, username, step)
            raise self._refusal() from None
        throttle.succeeded()
        trail.login(user)
        user.otp_device = device  # type: ignore[attr-defined]  # django-otp logs the device in
        self.user_cache = user
        return self.cleaned_data

    def _failed(self, throttle: Throttle, attempt: Attempt, username: str, step: str) -> None:
        """The attempt was counted before its check: audit which check failed, and tell the
        account's holder when failures pile up on it."""
        with transaction.atomic():
            account = self._audit_failure(
                throttle, username, f"wrong_{step}" if step != "not_allowed" else step
            )
            if (
                account is not None
                and attempt.account_failures >= NOTIFY_AFTER
                and throttle.notice_due()
            ):
                enqueue(tasks.warn_failed_logins, account.pk, attempt.account_failures)
        logger.info("back-office login refused (key %s)", throttle.tag)
        if attempt.address_locked:
            logger.warning("back-office login: an address is refused after repeated failures")

    def _audit_failure(self, throttle: Throttle, username: str, why: str) -> Any | None:
        """Audit a refused login, spaced out when anyone could send it (a wrong password, a
        wait not over): the right password then a wrong code is always written. Returns the
        account the username names, if any."""
        account = trail.account_for(username)
        if why in SPACED_OUT:
            more = throttle.audit_due(str(account.pk) if account is not None else "")
            if more is None:
                return account
        else:
            more = 0
        trail.login_failed(username, why, more)
        return account

    def confirm_login_allowed(self, user: Any) -> None:
        if not (user.is_active and user.is_staff and has_role(user)):
            raise self._refusal()

    def _check_code(self, user: Any, code: str) -> Device:
        error: ValidationError | None = None
        # Keep the device's own failure counter even when the code is refused.
        with transaction.atomic():
            device = device_for_code(user, code)
            try:
                if device is None:
                    raise self._refusal()
                verified: Device = self._verify_token(user, code, device)
            except ValidationError as exc:
                error = exc
        if error is not None:
            raise error
        return verified

    def _refusal(self) -> ValidationError:
        return ValidationError(refused_message(), code="invalid_login")
