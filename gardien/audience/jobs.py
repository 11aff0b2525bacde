"""The audience app's periodic job: the days that are over drawn up into daily statistics."""

from __future__ import annotations

import datetime as dt

#: How often the worker looks for a day to draw up (one a day is due, just after midnight).
CHECK_EVERY = dt.timedelta(minutes=15)


def draw_up_days() -> None:
    from gardien.audience.rollup import draw_up_pending

    draw_up_pending()


def register_periodic_jobs() -> None:
    from gardien.processors.periodic import periodic

    periodic("audience.draw_up", every=CHECK_EVERY)(draw_up_days)
