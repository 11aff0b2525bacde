"""Back-office login throttling, shared by every web process through the database.

Three counters, so that nobody can lock an account's owner out from elsewhere:

- **per address**: after ``GARDIEN_LOGIN_MAX_FAILURES`` failures from one client address,
  whatever the usernames, that address is refused for ``GARDIEN_LOGIN_LOCKOUT_MINUTES``
  without even checking the password. It only hurts itself.
- **per account**: the consecutive failures on one username, from every address. They set
  a growing delay (:func:`delay`: none for the first few, then 2, 4, 8… seconds, at most
  the lockout), and past :data:`NOTIFY_AFTER` the account's holder is told by email
  (:func:`gardien.backoffice.tasks.warn_failed_logins`), at most once a day.
- **per (account, address)**: the delay applies only to an address that has itself failed
  :data:`FREE_FAILURES` times on the account, counted from its own last failure there. An
  address with fewer failures on the account (its owner at their desk, who mistyped once)
  is never delayed, however many other addresses fail: the right password and code get in.

A successful login clears the account's counters and its address's; failures are
forgotten after a day without any.

Rows are keyed by an HMAC of the username (normalised), of the address (an IPv6 address by
its /64 network, which one client usually holds whole), or of both, derived from
``SECRET_KEY``: the table never holds a username or an address in clear. A pair's key
starts with its account's (32 characters each), so an account's rows are found together.

The client address is ``REMOTE_ADDR``. With ``GARDIEN_BEHIND_PROXY=true`` it is the
last value of ``X-Forwarded-For``, the one your own reverse proxy appended; earlier
values are written by the client and cannot be trusted.
"""

from __future__ import annotations

import datetime as dt
import enum
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
# Typing mistakes: the first failures on an account cost no wait.
FREE_FAILURES = 3
# Consecutive failures on an account, from any address, that tell its holder (once a day).
NOTIFY_AFTER = 10
NOTICE_PERIOD = MEMORY
_HALF = 32


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


def _normal_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def username_key(username: str) -> str:
    return _digest("username", _normal_username(username))


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def address_key(address: str) -> str:
    return _digest("address", _network(address))


def pair_key(username: str, address: str) -> str:
    """The account's key's first half, then a keyed hash of the username and the address."""
    both = _digest("pair", f"{_normal_username(username)}\n{_network(address)}")
    return username_key(username)[:_HALF] + both[:_HALF]


def notice_key(username: str) -> str:
    return _digest("notice", _normal_username(username))


def lockout() -> dt.timedelta:
    return dt.timedelta(minutes=settings.GARDIEN_LOGIN_LOCKOUT_MINUTES)


def delay(failures: int) -> dt.timedelta:
    """The wait after an account's ``failures``-th consecutive failure, for the addresses
    that failed on it: none for the first :data:`FREE_FAILURES`, then 2, 4, 8… seconds,
    at most the lockout."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    exponent = min(failures - FREE_FAILURES + 1, 30)
    return min(dt.timedelta(seconds=2**exponent), lockout())


class Refusal(enum.Enum):
    """Why an attempt is refused before its password is checked."""

    ADDRESS = "address"  # the address failed too often, on any account
    DELAY = "delay"  # the address failed on this account and its wait is not over


@dataclass(frozen=True)
class Failure:
    """What one more failure made of the account's counter."""

    account_failures: int
    address_locked: bool
    notify: bool  # the account's holder should be told now (at most once a period)


@dataclass(frozen=True)
class Throttle:
    """The counters one login attempt is measured against."""

    account: str
    notice: str
    pair: str | None = None
    address: str | None = None

    @classmethod
    def for_login(cls, request: HttpRequest | None, username: str) -> Throttle:
        address = client_ip(request)
        return cls(
            account=username_key(username),
            notice=notice_key(username),
            pair=pair_key(username, address) if address else None,
            address=address_key(address) if address else None,
        )

    @property
    def tag(self) -> str:
        """A short, non-reversible tag of the account's counter, to correlate log lines."""
        return self.account[:10]

    def _keys(self) -> list[str]:
        return [key for key in (self.account, self.pair, self.address) if key]

    def refusal(self) -> Refusal | None:
        """Why this attempt is refused without checking its password; None to check it."""
        now = clock.now()
        rows = {row.key: row for row in LoginAttempt.objects.filter(key__in=self._keys())}
        address = rows.get(self.address or "")
        if address is not None and address.locked_until and address.locked_until > now:
            return Refusal.ADDRESS
        account, pair = rows.get(self.account), rows.get(self.pair or "")
        if account is None or pair is None or pair.last_failure_at is None:
            return None
        if pair.failures < FREE_FAILURES:
            return None  # its own typing mistakes, whatever others do on the account
        if pair.last_failure_at + delay(account.failures) > now:
            return Refusal.DELAY
        return None

    def refused(self, why: Refusal) -> bool:
        """Count a refused attempt against its address only; True when it is now locked."""
        if why is Refusal.ADDRESS or self.address is None:
            return why is Refusal.ADDRESS
        with transaction.atomic():
            return self._count_address(clock.now())

    def failed(self) -> Failure:
        """Count one checked failure on every counter."""
        now = clock.now()
        with transaction.atomic():
            LoginAttempt.objects.filter(last_failure_at__lt=now - MEMORY).exclude(
                locked_until__gt=now
            ).delete()
            failures = 0
            for key in (self.account, self.pair):
                if key is None:
                    continue
                row, _created = LoginAttempt.objects.select_for_update().get_or_create(key=key)
                row.failures += 1
                row.last_failure_at = now
                row.save(update_fields=["failures", "last_failure_at"])
                if key == self.account:
                    failures = row.failures
            locked = self._count_address(now) if self.address else False
            notify = failures >= NOTIFY_AFTER and self._notice_due(now)
        return Failure(failures, locked, notify)

    def succeeded(self) -> None:
        """Forget the account's failures, from every address, and this address's."""
        LoginAttempt.objects.filter(key__startswith=self.account[:_HALF]).delete()
        if self.address:
            LoginAttempt.objects.filter(key=self.address).delete()

    def _count_address(self, now: dt.datetime) -> bool:
        assert self.address is not None
        row, _created = LoginAttempt.objects.select_for_update().get_or_create(key=self.address)
        if row.locked_until is not None and row.locked_until <= now:
            row.locked_until = None
            row.failures = 0
        if row.locked_until is None:
            row.failures += 1
            if row.failures >= settings.GARDIEN_LOGIN_MAX_FAILURES:
                row.locked_until = now + lockout()
                row.failures = 0
        row.last_failure_at = now
        row.save()
        return row.locked_until is not None

    def _notice_due(self, now: dt.datetime) -> bool:
        """True once a period: the notice row's time is when the holder was last told."""
        row, created = LoginAttempt.objects.select_for_update().get_or_create(
            key=self.notice, defaults={"last_failure_at": now}
        )
        if created:
            return True
        if row.last_failure_at is not None and row.last_failure_at > now - NOTICE_PERIOD:
            return False
        row.last_failure_at = now
        row.save(update_fields=["last_failure_at"])
        return True


def unlock_username(username: str) -> int:
    """Forget the failures counted against a username, from every address (used by
    ``gardien staff otp-reset``)."""
    prefix = username_key(username)[:_HALF]
    deleted, _per_model = LoginAttempt.objects.filter(key__startswith=prefix).delete()
    return deleted
