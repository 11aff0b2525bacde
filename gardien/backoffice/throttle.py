"""Back-office login throttling, shared by every web process through the database.

Four counters, so that nobody can lock an account's owner out from elsewhere:

- **per address**: after ``GARDIEN_LOGIN_MAX_FAILURES`` failures from one client address,
  whatever the usernames, that address is refused for ``GARDIEN_LOGIN_LOCKOUT_MINUTES``
  without even checking the password. It only hurts itself.
- **per network**: the same, with :data:`NETWORK_FACTOR` times the limit, for the network
  around the address (an IPv4 /24, an IPv6 /48). One client often holds a whole IPv6 /48:
  counted per address only, its 65,536 /64 networks would each get their own tries.
- **per account**: the failures on one username, from every address. They set a growing
  delay (:func:`delay`: none for the first few, then 2, 4, 8… seconds, at most the
  lockout), and past :data:`NOTIFY_AFTER` the account's holder is told by email
  (:func:`gardien.backoffice.tasks.warn_failed_logins`), at most once a day.
- **per (account, address)**: the delay applies only to an address that has itself failed
  :data:`FREE_FAILURES` times on the account, counted from its own last failure there. An
  address with fewer failures on the account (its owner at their desk, who mistyped once)
  is never delayed, however many other addresses fail: the right password and code get in.

An attempt is counted as a failure *before* its password is checked (:meth:`Throttle.reserve`,
under a row lock): a burst of logins sent at once is measured one by one, so it gets no
more password checks than the same logins sent in turn. A success then forgives what its
own address did (:meth:`Throttle.succeeded`): its counter, its failures on the account and
their share of the network's; the failures of other addresses stay counted, so the owner
logging in does not give an attacker a fresh budget. Failures are forgotten after a day
without any.

Refused logins are audited at most once a minute per account and network
(:meth:`Throttle.audit_due`), the next entry saying how many more came, so a flood cannot
fill the audit log or queue on its lock.

Rows are keyed by an HMAC of the username (normalised), of the address (an IPv6 address by
its /64 network, which one client usually holds whole), of the network, or of several of
them, derived from ``SECRET_KEY``: the table never holds a username or an address in clear.
A pair's key starts with its account's (32 characters each), so an account's rows are
found together.

The client address is ``REMOTE_ADDR``. With ``GARDIEN_BEHIND_PROXY=true`` it is the
last value of ``X-Forwarded-For``, the one your own reverse proxy appended; earlier
values are written by the client and cannot be trusted.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import unicodedata
from collections.abc import Iterable
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
# Failures on an account, from addresses that have not logged in since, that tell its holder
# (once a day).
NOTIFY_AFTER = 10
NOTICE_PERIOD = MEMORY
# A network (IPv4 /24, IPv6 /48) may fail this many times an address's limit.
NETWORK_FACTOR = 5
_NETWORK_PREFIX = {4: 24, 6: 48}
# At most one audit entry of refused logins per account (or unknown username) and network
# in this period; the next one counts those left out.
AUDIT_PERIOD = dt.timedelta(minutes=1)
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


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _network(address: str) -> str:
    """What counts as one address: an IPv4 address, an IPv6 /64."""
    ip = _ip(address)
    if ip is None:
        return address.strip()
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _wide_network(address: str) -> str | None:
    """The network around an address: its IPv4 /24 or IPv6 /48; None for no address."""
    ip = _ip(address)
    if ip is None:
        return None
    return str(ipaddress.ip_network(f"{ip}/{_NETWORK_PREFIX[ip.version]}", strict=False))


def address_key(address: str) -> str:
    return _digest("address", _network(address))


def network_key(address: str) -> str | None:
    wide = _wide_network(address)
    return _digest("network", wide) if wide is not None else None


def pair_key(username: str, address: str) -> str:
    """The account's key's first half, then a keyed hash of the username and the address."""
    both = _digest("pair", f"{_normal_username(username)}\n{_network(address)}")
    return username_key(username)[:_HALF] + both[:_HALF]


def notice_key(username: str) -> str:
    return _digest("notice", _normal_username(username))


def scope_key(address: str) -> str:
    """A keyed hash of the network audit entries of refused logins are spaced out by."""
    return _digest("scope", _wide_network(address) or _network(address))


def audit_key(bucket: str, scope: str) -> str:
    """The row that spaces out audit entries of refused logins for one account (``bucket``,
    its id; empty for every unknown username) and one network (``scope``, its key)."""
    return _digest("audit", f"{bucket}\n{scope}")


def lockout() -> dt.timedelta:
    return dt.timedelta(minutes=settings.GARDIEN_LOGIN_LOCKOUT_MINUTES)


def network_limit() -> int:
    return int(settings.GARDIEN_LOGIN_MAX_FAILURES) * NETWORK_FACTOR


def delay(failures: int) -> dt.timedelta:
    """The wait after an account's ``failures``-th failure, for the addresses that failed
    on it: none for the first :data:`FREE_FAILURES`, then 2, 4, 8… seconds, at most the
    lockout."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    exponent = min(failures - FREE_FAILURES + 1, 30)
    return min(dt.timedelta(seconds=2**exponent), lockout())


class Refusal(enum.Enum):
    """Why an attempt is refused before its password is checked."""

    ADDRESS = "address"  # the address failed too often, on any account
    NETWORK = "network"  # the addresses of its network failed too often, together
    DELAY = "delay"  # the address failed on this account and its wait is not over


@dataclass(frozen=True)
class Attempt:
    """One login attempt, once measured: refused unchecked, or counted and to be checked."""

    refusal: Refusal | None
    account_failures: int  # the account's failures, this attempt included when counted
    address_locked: bool  # the attempt made its address or network refused


def _locked(row: LoginAttempt | None, now: dt.datetime) -> bool:
    return row is not None and row.locked_until is not None and row.locked_until > now


def _count(row: LoginAttempt, limit: int, now: dt.datetime) -> bool:
    """One more failure on an address's or a network's row; True when it is refused."""
    if row.locked_until is not None and row.locked_until <= now:
        row.locked_until = None
        row.failures = 0
    if row.locked_until is None:
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + lockout()
            row.failures = 0
    row.last_failure_at = now
    row.save(update_fields=["failures", "last_failure_at", "locked_until"])
    return row.locked_until is not None


def _locked_rows(keys: list[str], now: dt.datetime) -> dict[str, LoginAttempt]:
    """The rows of ``keys``, created when missing and locked until the transaction ends.

    Always in the order of their keys, so two attempts never wait on each other's rows.
    A new row starts with no failure at ``now``: it is forgotten like any other.
    """
    ordered = sorted(keys)
    LoginAttempt.objects.bulk_create(
        [LoginAttempt(key=key, last_failure_at=now) for key in ordered], ignore_conflicts=True
    )
    locked = LoginAttempt.objects.select_for_update().filter(key__in=ordered).order_by("key")
    rows = list(locked)
    for row in rows:
        stale = row.last_failure_at is None or row.last_failure_at < now - MEMORY
        if stale and not _locked(row, now):
            row.failures = 0  # forgotten after a day without failure (retention deletes it)
    return {row.key: row for row in rows}


@dataclass(frozen=True)
class Throttle:
    """The counters one login attempt is measured against."""

    account: str
    notice: str
    pair: str | None = None
    address: str | None = None
    network: str | None = None
    scope: str = ""

    @classmethod
    def for_login(cls, request: HttpRequest | None, username: str) -> Throttle:
        address = client_ip(request)
        return cls(
            account=username_key(username),
            notice=notice_key(username),
            pair=pair_key(username, address) if address else None,
            address=address_key(address) if address else None,
            network=network_key(address) if address else None,
            scope=scope_key(address),
        )

    @property
    def tag(self) -> str:
        """A short, non-reversible tag of the account's counter, to correlate log lines."""
        return self.account[:10]

    def reserve(self) -> Attempt:
        """Measure this attempt and, unless it is refused unchecked, count it as a failure
        now, before its password is checked: :meth:`succeeded` forgives it.

        Everything happens under the rows' locks, in one transaction, so attempts sent at
        once are measured one after the other. A refused attempt counts against its
        address and network only (they hurt nobody else).
        """
        now = clock.now()
        places = [key for key in (self.address, self.network) if key]
        # A refused address's flood reads and writes nothing more: a lock only ends with time.
        refused = self._place_refusal(LoginAttempt.objects.filter(key__in=places), now)
        if refused is not None:
            return Attempt(refused, 0, True)
        with transaction.atomic():
            rows = _locked_rows(places, now)
            refused = self._place_refusal(rows.values(), now)
            if refused is not None:
                return Attempt(refused, 0, True)
            address, network = rows.get(self.address or ""), rows.get(self.network or "")
            rows.update(_locked_rows([key for key in (self.account, self.pair) if key], now))
            account, pair = rows[self.account], rows.get(self.pair or "")
            refusal = None
            if (
                pair is not None
                and pair.failures >= FREE_FAILURES  # its own typing mistakes are free
                and pair.last_failure_at is not None
                and pair.last_failure_at + delay(account.failures) > now
            ):
                refusal = Refusal.DELAY
            else:
                for row in (account, pair):
                    if row is not None:
                        row.failures += 1
                        row.last_failure_at = now
                        row.save(update_fields=["failures", "last_failure_at"])
            locked = False
            if address is not None:
                locked = _count(address, settings.GARDIEN_LOGIN_MAX_FAILURES, now)
            if network is not None:
                locked = _count(network, network_limit(), now) or locked
        return Attempt(refusal, account.failures, locked)

    def _place_refusal(self, rows: Iterable[LoginAttempt], now: dt.datetime) -> Refusal | None:
        """Refused for its address or its network, whose rows are ``rows``."""
        locked = {row.key for row in rows if _locked(row, now)}
        if self.address in locked:
            return Refusal.ADDRESS
        if self.network in locked:
            return Refusal.NETWORK
        return None

    def succeeded(self) -> None:
        """Forgive what this address did: its counter, its failures on the account (this
        attempt's included) and their share of its network's. Other addresses' failures on
        the account stay counted: their waits go on growing."""
        now = clock.now()
        with transaction.atomic():
            rows: dict[str, LoginAttempt] = {}
            # The order reserve() locks them in: places, then the account's rows.
            for keys in ((self.address, self.network), (self.account, self.pair)):
                locked = LoginAttempt.objects.select_for_update().filter(key__in=keys)
                rows.update((row.key, row) for row in locked.order_by("key"))
            address, network = rows.get(self.address or ""), rows.get(self.network or "")
            account, pair = rows.get(self.account), rows.get(self.pair or "")
            if account is not None:
                forgiven = pair.failures if pair is not None else 1
                account.failures = max(account.failures - forgiven, 0)
                account.save(update_fields=["failures"])
            if network is not None and not _locked(network, now):
                forgiven = address.failures if address is not None else 1
                network.failures = max(network.failures - forgiven, 0)
                network.save(update_fields=["failures"])
            LoginAttempt.objects.filter(key__in=[self.pair, self.address]).delete()

    def notice_due(self) -> bool:
        """True once a period: the notice row's time is when the holder was last told."""
        now = clock.now()
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

    def audit_due(self, bucket: str) -> int | None:
        """Whether a refused login is audited now: None to leave it out (an entry for the
        same account and network was written less than :data:`AUDIT_PERIOD` ago), else how
        many were left out since that entry, for this one to say.

        ``bucket`` is the account's id, or "" for every unknown username: a flood of
        made-up usernames is spaced out as one account. The row keeps, in
        ``locked_until``, when the next entry may be written, and in ``failures`` how
        many were left out; call inside the audit entry's transaction.
        """
        now = clock.now()
        row, created = LoginAttempt.objects.select_for_update().get_or_create(
            key=audit_key(bucket, self.scope),
            defaults={"last_failure_at": now, "locked_until": now + AUDIT_PERIOD},
        )
        if created:
            return 0
        row.last_failure_at = now
        if _locked(row, now):
            row.failures += 1
            row.save(update_fields=["failures", "last_failure_at"])
            return None
        left_out, row.failures, row.locked_until = row.failures, 0, now + AUDIT_PERIOD
        row.save(update_fields=["failures", "last_failure_at", "locked_until"])
        return left_out


def unlock_username(username: str) -> int:
    """Forget the failures counted against a username, from every address (used by
    ``gardien staff otp-reset``)."""
    prefix = username_key(username)[:_HALF]
    deleted, _per_model = LoginAttempt.objects.filter(key__startswith=prefix).delete()
    return deleted
