"""What ``GARDIEN_RATE_LIMIT`` means: "<submissions>/<seconds>", e.g. "5/600".

Model-free, so that the settings can validate the value at start.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gardien.lib.env import EnvError
from gardien.lib.languages import gettext_noop

_RATE = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")


@dataclass(frozen=True)
class RateLimit:
    """At most ``submissions`` accepted submissions in any ``period``."""

    submissions: int
    period: dt.timedelta


def parse_rate_limit(text: str, name: str = "GARDIEN_RATE_LIMIT") -> RateLimit:
    """Read "<submissions>/<seconds>"; raise EnvError with a sentence naming ``name``."""
    found = _RATE.fullmatch(text)
    if found is None:
        raise EnvError(
            gettext_noop(
                "%(name)s=%(text)r is not a rate; write <submissions>/<seconds>, "
                "e.g. %(name)s=5/600 for 5 submissions in 10 minutes."
            ),
            name=name,
            text=text,
        )
    submissions, seconds = int(found[1]), int(found[2])
    if submissions < 1 or seconds < 1:
        raise EnvError(
            gettext_noop(
                "%(name)s=%(text)r must allow at least 1 submission in at least 1 second; "
                "write e.g. %(name)s=5/600 for 5 submissions in 10 minutes."
            ),
            name=name,
            text=text,
        )
    return RateLimit(submissions=submissions, period=dt.timedelta(seconds=seconds))
