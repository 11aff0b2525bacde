"""Audience measurement's two tables: the page views as the beacon sent them (kept for the
period of the manifest's audience activity, 25 months at most) and the daily statistics
drawn from them (kept without any identifier, so they outlive the page views).

Neither holds an IP address, a user agent or anything that could link a view to a person
or to another site: the path without its query string (except the parameters the manifest
names), the referring site's host name only, a screen class, a language, and, only when the
manifest counts unique visitors, the random identifier the beacon keeps on that one site.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.manifest.schema import AUDIENCE_MAX_RETENTION, Manifest
from gardien.retention.registry import kept, retained

PATH_LENGTH = 512
HOST_LENGTH = 253
VISITOR_LENGTH = 22


class Screen(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    TABLET = "tablet", _("tablet")
    DESKTOP = "desktop", _("desktop")


def audience_activity(manifest: Manifest) -> str | None:
    """The activity page views are kept under: that of the audience's cookie purpose (None
    when the manifest does not measure the audience)."""
    if manifest.audience is None:
        return None
    purpose = next(
        (p for p in manifest.cookies.purposes if p.id == manifest.audience.purpose), None
    )
    return purpose.activity if purpose is not None else None


@retained(
    activity=audience_activity,
    timestamp="viewed_at",
    # Page views left from an earlier policy: at most the ceiling of the CNIL's exemption.
    otherwise=dt.timedelta(days=AUDIENCE_MAX_RETENTION.days),
    because=_("audience measurement is off; at most the CNIL's ceiling for audience data"),
)
class PageView(models.Model):
    """One page view, as accepted by ``POST /api/audience``."""

    viewed_at = models.DateTimeField(_("viewed at"), db_index=True)
    site = models.CharField(_("site"), max_length=HOST_LENGTH)  # the page's host name
    path = models.CharField(_("page"), max_length=PATH_LENGTH)
    # The referring site's host name; "" when there is none or it is the site itself.
    referrer = models.CharField(_("referring site"), max_length=HOST_LENGTH, blank=True)
    screen = models.CharField(_("screen"), max_length=7, choices=Screen.choices)
    lang = models.CharField(_("language"), max_length=2, blank=True)
    # The first page of a visit: the visitor did not come from another page of the site.
    entry = models.BooleanField(_("first page of a visit"))
    # The beacon's random identifier, only when the manifest counts unique visitors.
    visitor = models.CharField(_("visitor"), max_length=VISITOR_LENGTH, blank=True)

    class Meta:
        verbose_name = _("page view")
        verbose_name_plural = _("page views")

    def __str__(self) -> str:
        return f"{self.viewed_at:%Y-%m-%d %H:%M} {self.site}{self.path}"


class Dimension(models.TextChoices):
    TOTAL = "total", _("all pages")
    PAGE = "page", _("page")
    REFERRER = "referrer", _("referring site")
    SCREEN = "screen", _("screen")
    LANG = "lang", _("language")


@kept(because=_("anonymous statistics: counts per day, without any identifier"))
class DailyStat(models.Model):
    """A day's counts for one value of one dimension (``total`` has the key ""). A day is
    drawn up once it is over; its ``total`` row, even at zero, says it was."""

    day = models.DateField(_("day"))
    dimension = models.CharField(_("dimension"), max_length=8, choices=Dimension.choices)
    key = models.CharField(_("value"), max_length=PATH_LENGTH, blank=True)
    views = models.PositiveIntegerField(_("page views"))
    visits = models.PositiveIntegerField(_("visits"))
    # Distinct visitors that day; 0 when the manifest does not count unique visitors.
    visitors = models.PositiveIntegerField(_("visitors"))

    class Meta:
        verbose_name = _("daily statistic")
        verbose_name_plural = _("daily statistics")
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "key"], name="audience_daily_key")
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="audience_daily_dim_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension} {self.key}"
