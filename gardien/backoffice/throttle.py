"""Back-office login throttling, shared by every web process through the database.

After ``GARDIEN_LOGIN_MAX_FAILURES`` consecutive failures for one username, or from one
client address, further attempts for it are refused for ``GARDIEN_LOGIN_LOCKOUT_MINUTES``
without even checking the password. A successful login clears both counters; failures
are forgotten after a day without any.

Rows are keyed by an HMAC of the username (normalised) or of the address (an IPv6
address by its /64 network, which one client usually holds whole), derived from
``SECRET_KEY``: the table never holds a username or an address in clear.

The client address is ``REMOTE_ADDR``. With ``GARDIEN_BEHIND_PROXY=true`` it is the
last value of ``X-Forwarded-For``, the one your own reverse proxy appended; earlier
values are written by the client and cannot be trusted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from gardien.backoffice.models import LoginAttempt
from gardien.lib import clock

MEMORY = dt.timedelta(days=1)


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    if getattr(settings, "GARDIEN_BEHIND_PROXY", False):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return remote


def _digest(kind: str, value: str) -> str:
    return salted_hmac(f"gardien.backoffice.throttle.{kind}", value, algorithm="sha256").hexdigest()


def username_key(username: str) -> str:
    return _digest("username", unicodedata.normalize("NFKC", username).strip().casefold())


def address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return _digest("address", address.strip())
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _digest("address", str(ip.ipv4_mapped))
        return _digest("address", str(ipaddress.ip_network(f"{ip}/64", strict=False)))
    return _digest("address", str(ip))


def lockout() -> dt.timedelta:
    return dt.timedelta(minutes=settings.GARDIEN_LOGIN_LOCKOUT_MINUTES)


@dataclass(frozen=True)
class Throttle:
    """The counters one login attempt is measured against."""

    keys: tuple[str, ...]

    @classmethod
    def for_login(cls, request: HttpRequest | None, username: str) -> Throttle:
        keys = [username_key(username)]
        address = client_ip(request)
        if address:
            keys.append(address_key(address))
        return cls(tuple(keys))

    def locked(self) -> bool:
        return LoginAttempt.objects.filter(key__in=self.keys, locked_until__gt=clock.now()).exists()

    def failed(self) -> bool:
        """Count one failure on every counter; True when one of them is now locked."""
        now = clock.now()
        limit = settings.GARDIEN_LOGIN_MAX_FAILURES
        locked = False
        with transaction.atomic():
            LoginAttempt.objects.filter(last_failure_at__lt=now - MEMORY).exclude(
                locked_until__gt=now
            ).delete()
            for key in self.keys:
                attempt, _created = LoginAttempt.objects.select_for_update().get_or_create(key=key)
                if attempt.locked_until is not None and attempt.locked_until <= now:
                    attempt.locked_until = None
                    attempt.failures = 0
                if attempt.locked_until is None:
                    attempt.failures += 1
                    if attempt.failures >= limit:
                        attempt.locked_until = now + lockout()
                        attempt.failures = 0
                attempt.last_failure_at = now
                attempt.save()
                locked = locked or attempt.locked_until is not None
        return locked

    def succeeded(self) -> None:
        LoginAttempt.objects.filter(key__in=self.keys).delete()


def unlock_username(username: str) -> int:
    """Forget the failures counted against a username (used by ``gardien staff otp-reset``)."""
    deleted, _per_model = LoginAttempt.objects.filter(key=username_key(username)).delete()
    return deleted
