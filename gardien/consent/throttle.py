"""A limit on the consent API's choices per client address, in each web process's memory.

The API is the hot path of every banner, so the limit costs no database round trip (the
anti-spam's shared counter, gardien/antispam/ratelimit.py, would double the cost of a
choice): each process keeps a token bucket per address, ``GARDIEN_CONSENT_RATE_LIMIT``
"<choices>/<seconds>" (a burst of that many choices, refilled evenly over the seconds).
With N web processes, one address can therefore reach up to N times the limit.

The address is never kept: a bucket is named by an HMAC of it (an IPv6 address by its
/64 network, which one client usually holds whole) under a key drawn at random when the
process starts and never written anywhere. At most ``MAX_ADDRESSES`` buckets are kept,
the least recently used forgotten first, so memory stays bounded whatever the traffic.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import math
import secrets
import socket
import threading
import time
from collections import OrderedDict
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest

from gardien.antispam.rates import parse_rate_limit
from gardien.backoffice.throttle import client_ip

MAX_ADDRESSES = 50_000
_KEY = secrets.token_bytes(32)


class Buckets:
    """Token buckets of ``capacity`` choices refilled at ``rate`` per second, per key."""

    def __init__(self, capacity: int, rate: float, size: int = MAX_ADDRESSES) -> None:
        self.capacity = capacity
        self.rate = rate
        self.size = size
        self._buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: bytes, now: float) -> float:
        """Take one choice from ``key``'s bucket: 0 when allowed, else the seconds to wait."""
        with self._lock:
            tokens, then = self._buckets.pop(key, (float(self.capacity), now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
            if len(self._buckets) > self.size:
                self._buckets.popitem(last=False)
            return wait


@lru_cache(maxsize=4)
def _buckets(limit: str) -> Buckets:
    rate = parse_rate_limit(limit, "GARDIEN_CONSENT_RATE_LIMIT")
    return Buckets(rate.submissions, rate.submissions / rate.period.total_seconds())


def address_key(address: str) -> bytes:
    """The bucket's name for an address: a keyed hash, never the address."""
    name = address.strip()
    with contextlib.suppress(OSError, ValueError):
        # The usual address, IPv4 written as ipaddress writes it, is recognised by the C
        # library, ten times quicker than by ipaddress (every page view asks).
        if socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, name)) == name:
            return hmac.digest(_KEY, name.encode("utf-8"), "sha256")[:16]
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        name = address.strip()
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if isinstance(ip, ipaddress.IPv6Address):
            name = str(ipaddress.IPv6Network((ip, 64), strict=False))
        else:
            name = str(ip)
    return hmac.digest(_KEY, name.encode("utf-8"), "sha256")[:16]


def retry_after(request: HttpRequest) -> int:
    """Count one choice from the request's address: 0 when allowed, else the whole seconds
    to wait before the next one (``Retry-After``)."""
    buckets = _buckets(settings.GARDIEN_CONSENT_RATE_LIMIT)
    wait = buckets.take(address_key(client_ip(request)), time.monotonic())
    return math.ceil(wait) if wait else 0


def forget(**kwargs: object) -> None:
    """Start every bucket afresh. Settings never change in a served process: this runs
    when a test overrides one, so that each test's choices are counted on their own."""
    _buckets.cache_clear()


setting_changed.connect(forget, dispatch_uid="gardien.consent.throttle.forget")
