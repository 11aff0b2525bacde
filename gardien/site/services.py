"""The origins allowed to load the banner and call Gardien's APIs, apart from the public policy.

    from gardien.site import services

    services.allowed()                     # frozenset of origins: cached, cheap on every request
    services.add("https://www.example.org", source=AddedFrom.COMMAND)   # -> (row, created)
    services.remove("https://www.example.org", source=AddedFrom.COMMAND)
    services.listed()                      # the rows, for the command and the back office
    services.note_refused(origin)          # a call from an origin not allowed (throttled)
    services.refused()                     # the refused origins seen recently

An origin is checked by the rule of the manifest's ``[site] origins``
(:data:`gardien.manifest.schema.Origin`): ``scheme://host[:port]``, nothing else. Changing the
list publishes nothing: it says nothing a visitor reads. Every change is audited.

One cache per process, as the published policy's (gardien/policy/services.py): the list is read
again at most every :data:`CHECK_SECONDS`, and at once in the process that changes it.

Refused origins are counted in memory and written at most once a minute per origin
(:data:`WRITE_EVERY_SECONDS`), at most :data:`MAX_WRITES_PER_MINUTE` new writes a minute per
process, and only the :data:`MAX_REFUSED` most recent are kept: a flood of made-up origins
costs a few writes a minute and never fills the database. The count is therefore a lower bound.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from pydantic import TypeAdapter, ValidationError

from gardien.audit.services import Actor
from gardien.audit.services import record as audit_record
from gardien.lib import clock
from gardien.manifest.schema import Origin
from gardien.site.models import ORIGIN_LENGTH, AddedFrom, AllowedOrigin, RefusedOrigin

logger = logging.getLogger(__name__)

CHECK_SECONDS = 5.0
MAX_REFUSED = 50
WRITE_EVERY_SECONDS = 60.0
MAX_WRITES_PER_MINUTE = 20
# Origins remembered in memory between writes; beyond it the memory starts afresh.
MAX_REMEMBERED = 500

TARGET = "site.allowedorigin"
# Gardien's command line, in the audit log (the back office writes the staff account).
COMMAND_ACTOR = Actor("system", "site_command")

_ORIGIN = TypeAdapter(Origin)


class InvalidOrigin(ValueError):
    """A text that is not a site origin; its message is one sentence saying how to write one."""


class NotListed(LookupError):
    """Removing an origin that is not in the list."""


_DEFAULT_PORTS = {"https": ":443", "http": ":80"}


def normalise(value: str) -> str:
    """``value`` as a site origin, by the rule of the manifest's ``[site] origins``, as a
    browser sends it: a scheme's default port is dropped (``https://example.org:443`` is
    ``https://example.org``, which is what would arrive), and a host must have a name.

    Raises :class:`InvalidOrigin` with a sentence in the active language."""
    text = value.strip()
    scheme = text.partition("://")[0]
    default = _DEFAULT_PORTS.get(scheme)
    if default and text.endswith(default):
        text = text.removesuffix(default)
    host = text.partition("://")[2].rsplit(":", 1)[0]
    try:
        _ORIGIN.validate_python(text)
        if not host or host.startswith(".") or host.endswith(".") or ".." in host:
            raise ValueError(host)
    except (ValidationError, ValueError):
        raise InvalidOrigin(
            _(
                "“%(value)s” is not a site origin; write the scheme and the host only, "
                "e.g. https://www.example.org (no path, no slash at the end)."
            )
            % {"value": value.strip()}
        ) from None
    return text


def own_origin() -> str:
    """Gardien's own address as an origin (``SITE_URL`` without a path): always allowed."""
    from django.conf import settings

    parts = settings.SITE_URL.split("/")
    return "/".join(parts[:3])


# --------------------------------------------------------------------------- the allowed list


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.origins: frozenset[str] = frozenset()
        self.checked_at = float("-inf")


_cache = _Cache()


def forget(**_signal_kwargs: Any) -> None:
    """Read the list from the database at the next call (it changed, or the database did),
    and start counting refusals afresh."""
    with _cache.lock:
        _cache.checked_at = float("-inf")
    with _refusals.lock:
        _refusals.clear()


def allowed() -> frozenset[str]:
    """The allowed origins, re-read at most every :data:`CHECK_SECONDS` in this process."""
    now = time.monotonic()
    if now - _cache.checked_at < CHECK_SECONDS:
        return _cache.origins
    try:
        origins = frozenset(AllowedOrigin.objects.values_list("origin", flat=True))
    except DatabaseError:
        # Not migrated yet (a deployment between upgrade and `gardien migrate`): nothing more
        # than Gardien's own address is allowed, asked again after CHECK_SECONDS (not at every
        # request, with a log line each time).
        logger.warning("The allowed origins could not be read; run `gardien migrate`.")
        origins = frozenset()
    with _cache.lock:
        _cache.origins = origins
        _cache.checked_at = now
    return origins


def listed() -> list[AllowedOrigin]:
    return list(AllowedOrigin.objects.select_related("added_by").order_by("origin"))


def added_by(row: AllowedOrigin) -> str:
    """Who added an origin, in words: the back-office account, or where it came from."""
    if row.added_by is not None:
        return _("%(account)s (back office)") % {"account": row.added_by.get_username()}
    return str(AddedFrom(row.added_from).label)


def _actor(user: Any | None) -> Actor:
    return Actor.staff(user) if user is not None else COMMAND_ACTOR


def add(
    value: str, *, source: AddedFrom, user: Any | None = None, actor: Actor | None = None
) -> tuple[AllowedOrigin, bool]:
    """Allow ``value`` (checked by :func:`normalise`); (row, False) when it already was."""
    origin = normalise(value)
    with transaction.atomic():
        existing = AllowedOrigin.objects.filter(origin=origin).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                row = AllowedOrigin.objects.create(
                    origin=origin, added_at=clock.now(), added_from=source, added_by=user
                )
        except IntegrityError:
            # Allowed at the same moment elsewhere (a double click, the command line and the
            # back office): it is allowed, once, and that one was audited.
            return AllowedOrigin.objects.get(origin=origin), False
        RefusedOrigin.objects.filter(origin=origin).delete()
        audit_record(
            actor=actor or _actor(user),
            action="allow_origin",
            target_type=TARGET,
            target_ref=origin[:64],
            reason="",  # the actor says where the change came from
        )
    forget()
    return row, True


def remove(value: str, *, source: AddedFrom, user: Any | None = None) -> str:
    """Stop allowing ``value``; raises :class:`NotListed` when it is not in the list."""
    origin = normalise(value)
    with transaction.atomic():
        deleted, _rows = AllowedOrigin.objects.filter(origin=origin).delete()
        if not deleted:
            raise NotListed(origin)
        audit_record(
            actor=_actor(user),
            action="remove_origin",
            target_type=TARGET,
            target_ref=origin[:64],
            reason="",  # the actor says where the change came from
        )
    forget()
    return origin


# --------------------------------------------------------------------------- refused origins


class _Refusals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        # origin -> [requests not yet written, when last written (monotonic)]
        self.seen: dict[str, list[float]] = {}
        self.window_start = float("-inf")
        self.writes = 0


_refusals = _Refusals()


def note_refused(origin: str) -> None:
    """Remember that ``origin`` called Gardien without being allowed (see the module docstring).

    Cheap: a dictionary look-up, and a small write at most once a minute per origin."""
    if len(origin) > ORIGIN_LENGTH:
        return
    now = time.monotonic()
    with _refusals.lock:
        entry = _refusals.seen.get(origin)
        if entry is not None and now - entry[1] < WRITE_EVERY_SECONDS:
            entry[0] += 1
            return
        if now - _refusals.window_start >= 60.0:
            _refusals.window_start, _refusals.writes = now, 0
        if _refusals.writes >= MAX_WRITES_PER_MINUTE:
            if entry is not None:
                entry[0] += 1
            return
        if entry is None:
            try:
                normalise(origin)
            except InvalidOrigin:
                return  # "null" (a sandboxed frame) or garbage: nothing anyone could allow
            if len(_refusals.seen) >= MAX_REMEMBERED:
                _refusals.seen.clear()
            entry = _refusals.seen[origin] = [0, now]
        count = int(entry[0]) + 1
        entry[0], entry[1] = 0, now
        _refusals.writes += 1
    _write_refusal(origin, count)


def _write_refusal(origin: str, count: int) -> None:
    moment = clock.now()
    try:
        with transaction.atomic():
            updated = RefusedOrigin.objects.filter(origin=origin).update(
                count=F("count") + count, last_seen=moment
            )
            if updated:
                return
            RefusedOrigin.objects.create(
                origin=origin, count=count, first_seen=moment, last_seen=moment
            )
            # The ones seen least often go first: a flood of made-up origins, each seen once,
            # cannot push out a real site that keeps being refused on every page.
            stale = RefusedOrigin.objects.order_by("-count", "-last_seen", "-pk").values_list(
                "pk", flat=True
            )
            old = list(stale[MAX_REFUSED:])
            if old:
                RefusedOrigin.objects.filter(pk__in=old).delete()
    except IntegrityError:
        pass  # another process wrote it at the same moment: its count is enough
    except DatabaseError:
        logger.warning("A refused origin could not be recorded.", exc_info=True)


def refused() -> list[RefusedOrigin]:
    """The refused origins seen recently, most recent first (not those allowed since)."""
    rows = RefusedOrigin.objects.order_by("-last_seen")[:MAX_REFUSED]
    allowed_now = allowed()
    return [row for row in rows if row.origin not in allowed_now]
