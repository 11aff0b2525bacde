"""What Gardien stores besides personal data, and how long: the retention registry.

Models holding personal data declare themselves with ``@personal_data`` (the vault's
registry); every other stored model declares itself here, once, next to its definition, so
that the purge engine and the registry check (``gardien.E110``) know every table::

    # kept as long as a rule of the manifest says (a record or an activity's own rule)
    @retained(activity="consent", timestamp="recorded_at")
    class ConsentRecord(models.Model): ...

    # the activity named by the manifest itself; when it names none, at most ``otherwise``
    @retained(activity=audience_activity, timestamp="viewed_at",
              otherwise=CEILING, because=_("measured under an earlier policy"))
    class PageView(models.Model): ...

    # a lifetime that is part of how Gardien works, not a promise (an anti-replay window)
    @technical(timestamp="received_at", lifetime=REPLAY_WINDOW,
               because=_("a webhook older than this is refused anyway"))
    class WebhookEvent(models.Model): ...

    # kept without a period, with the reason shown to the DPO
    @kept(because=_("the history of what the organisation promised"))
    class PolicyVersion(models.Model): ...

``only`` narrows a category to the rows a period applies to (finished tasks, banner
configurations no proof names any more); ``purge`` replaces the row-by-row deletion for a
table with its own way out (the audit chain keeps a checkpoint). A model of another
project (django-tasks-db's results, Django's sessions) is declared from
``gardien.retention.apps``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.db import models

Kind = Literal["rule", "technical", "kept"]


@dataclass(frozen=True)
class Declaration:
    model: type[models.Model]
    kind: Kind
    # rule: the activity whose rule (or record's rule) applies, or a function of the manifest
    # naming it (None: no activity of that manifest holds these rows)
    activity: str | Callable[[Any], str | None] | None = None
    record: str | None = None  # rule: the record of that activity, None for its own rule
    timestamp: str | None = None  # the date field the period counts from
    expires: str | None = None  # technical: a field holding the row's own expiry
    # technical: the period counted from ``timestamp`` (or a function giving it, for a
    # setting); rule: the period when the manifest names no activity for the rows
    lifetime: dt.timedelta | Callable[[], dt.timedelta] | None = None
    because: Any = ""  # technical, kept and ``otherwise``: why, in words the DPO reads (lazy text)
    only: Callable[[], Any] | None = None  # returns a Q narrowing the rows the period applies to
    # deletes everything due before the instant, or counts it (dry run); a dotted path works
    purge: Callable[[dt.datetime, bool], int] | str | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def activity_under(self, manifest: Any) -> str | None:
        """The activity whose rule applies under ``manifest`` (None: the manifest names none)."""
        return self.activity(manifest) if callable(self.activity) else self.activity


_declared: dict[str, Declaration] = {}


def _declare(declaration: Declaration) -> None:
    _declared[declaration.label] = declaration


def retained(
    *,
    activity: str | Callable[[Any], str | None],
    timestamp: str,
    record: str | None = None,
    only: Callable[[], Any] | None = None,
    purge: Callable[[dt.datetime, bool], int] | str | None = None,
    otherwise: dt.timedelta | None = None,
    because: Any = "",
) -> Callable[[type[models.Model]], type[models.Model]]:
    """Rows kept as long as the manifest's rule for ``activity`` (or its ``record``) says.

    ``activity`` may be a function of the manifest, for rows whose activity the manifest
    chooses (page views: the activity of the audience's cookie purpose). When it names none,
    rows left from an earlier manifest are kept ``otherwise`` after ``timestamp`` at most,
    ``because`` says why; without ``otherwise`` they are left alone.
    """
    if otherwise is not None and not callable(activity):
        raise ValueError("otherwise=… is for an activity the manifest may not name")

    def declare(model: type[models.Model]) -> type[models.Model]:
        _declare(
            Declaration(
                model,
                "rule",
                activity,
                record,
                timestamp,
                lifetime=otherwise,
                because=because,
                only=only,
                purge=purge,
            )
        )
        return model

    return declare


def technical(
    *,
    because: Any,
    expires: str | None = None,
    timestamp: str | None = None,
    lifetime: dt.timedelta | Callable[[], dt.timedelta] | None = None,
    only: Callable[[], Any] | None = None,
) -> Callable[[type[models.Model]], type[models.Model]]:
    """Rows with no personal data whose lifetime is part of how Gardien works: either their
    own ``expires`` field, or ``lifetime`` counted from ``timestamp``."""
    if (expires is None) == (timestamp is None or lifetime is None):
        raise ValueError("give either expires=… or both timestamp=… and lifetime=…")

    def declare(model: type[models.Model]) -> type[models.Model]:
        _declare(
            Declaration(
                model,
                "technical",
                timestamp=timestamp,
                expires=expires,
                lifetime=lifetime,
                because=because,
                only=only,
            )
        )
        return model

    return declare


def kept(*, because: Any) -> Callable[[type[models.Model]], type[models.Model]]:
    """Rows kept without a period of their own (configuration, history, rows that go with
    their person or account); ``because`` says why."""

    def declare(model: type[models.Model]) -> type[models.Model]:
        _declare(Declaration(model, "kept", because=because))
        return model

    return declare


def declarations() -> list[Declaration]:
    return list(_declared.values())


def declaration_for(model: type[models.Model]) -> Declaration | None:
    return _declared.get(model._meta.label_lower)
