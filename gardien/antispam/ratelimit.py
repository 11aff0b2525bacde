"""The per-address limit on accepted submissions of a public form, shared through the database.

Ask :func:`check_rate` before accepting a submission and call :func:`count_submission`
once it is accepted (stored, queued): only accepted submissions count, so a person's first
message is never lost to the limiter, and a refused or invalid one costs nothing. With
``GARDIEN_RATE_LIMIT = "5/600"``, the sixth accepted submission of one form (``scope``)
from one address within any 600 seconds is refused, with the seconds until a slot frees.

The address is never stored: rows hold an HMAC of it under a key derived from
``SECRET_KEY`` for this purpose (an IPv6 address by its /64 network, which one client
usually holds whole), and live one period. The client address is the one the back-office
login throttle uses (``REMOTE_ADDR``, or with ``GARDIEN_BEHIND_PROXY=true`` the address
your reverse proxy appended to ``X-Forwarded-For``). Behind a proxy without that setting,
every visitor has the proxy's address and shares one limit.

Two submissions checked at the same instant may both pass the check: the limit is there
to slow a flood down, not to count exactly.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.db import connections, router
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from gardien.antispam.models import SCOPE_MAX_LENGTH, CountedSubmission
from gardien.antispam.rates import RateLimit, parse_rate_limit
from gardien.backoffice.throttle import client_ip
from gardien.lib import clock
from gardien.lib.sql import Insert


@dataclass(frozen=True)
class Limited:
    """The address has used up its submissions; a slot frees in ``retry_after`` seconds."""

    retry_after: int


def rate_limit() -> RateLimit:
    return parse_rate_limit(settings.GARDIEN_RATE_LIMIT)


def address_key(address: str) -> str:
    """The keyed hash the limiter stores instead of ``address``."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        network = address.strip()
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            network = str(ip.ipv4_mapped)
        elif isinstance(ip, ipaddress.IPv6Address):
            network = str(ipaddress.ip_network(f"{ip}/64", strict=False))
        else:
            network = str(ip)
    return salted_hmac("gardien.antispam.address", network, algorithm="sha256").hexdigest()


def _checked(scope: str) -> str:
    if not scope or len(scope) > SCOPE_MAX_LENGTH:
        raise ValueError(
            f'anti-spam scope {scope!r} must be 1 to {SCOPE_MAX_LENGTH} characters, e.g. "contact".'
        )
    return scope


class _RecentCount:
    """``SELECT COUNT(*)`` of an address's submissions since a moment, prepared once per
    database (this runs on every submission of every form)."""

    def __init__(self) -> None:
        self._sql: dict[str, str] = {}

    def count(self, values: tuple[str, str, dt.datetime]) -> int:
        alias = router.db_for_read(CountedSubmission)
        connection = connections[alias]
        sql = self._sql.get(alias)
        if sql is None:
            quote = connection.ops.quote_name
            meta = CountedSubmission._meta
            names = ("scope", "address_key", "counted_at")
            columns = [quote(cast("str", meta.get_field(n).column)) for n in names]  # type: ignore[union-attr]
            sql = self._sql[alias] = (
                f"SELECT COUNT(*) FROM {quote(meta.db_table)} "  # noqa: S608
                f"WHERE {columns[0]} = %s AND {columns[1]} = %s AND {columns[2]} > %s"
            )
        scope, key, since = values
        with connection.cursor() as cursor:
            cursor.execute(sql, [scope, key, connection.ops.adapt_datetimefield_value(since)])
            return int(cursor.fetchone()[0])


_recent = _RecentCount()
_counted = Insert(CountedSubmission, ("scope", "address_key", "counted_at"))


def check_rate(request: HttpRequest, scope: str) -> Limited | None:
    """None when this address may still submit form ``scope``; else how long to wait."""
    limit = rate_limit()
    now = clock.now()
    key = address_key(client_ip(request))
    since = now - limit.period
    if _recent.count((_checked(scope), key, since)) < limit.submissions:
        return None  # the common case, answered by one prepared COUNT
    latest = list(
        CountedSubmission.objects.filter(scope=scope, address_key=key, counted_at__gt=since)
        .order_by("-counted_at")
        .values_list("counted_at", flat=True)[: limit.submissions]
    )
    # A slot frees when the oldest of the latest ``submissions`` leaves the window.
    frees_at = latest[-1] + limit.period
    return Limited(retry_after=max(1, math.ceil((frees_at - now).total_seconds())))


def count_submission(request: HttpRequest, scope: str) -> None:
    """Count one accepted submission of form ``scope`` from this request's address."""
    _counted.execute((_checked(scope), address_key(client_ip(request)), clock.now()))


def purge_counted_submissions(now: dt.datetime) -> int:
    """Forget submissions older than one period at ``now``; returns how many."""
    deleted, _per_model = CountedSubmission.objects.filter(
        counted_at__lte=now - rate_limit().period
    ).delete()
    return deleted
