"""The site's technical settings: the origins allowed to load the banner and call Gardien's
APIs, and the refused origins seen recently.

They change no sentence a visitor reads, so they live here and not in the manifest: adding an
origin publishes nothing. Neither table holds anything about a visitor: an origin is
``scheme://host[:port]`` of a web site, never a page's path or a visitor's value.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import kept

#: The longest origin kept (a host name is at most 253 characters, plus scheme and port).
ORIGIN_LENGTH = 270


class AddedFrom(models.TextChoices):
    COMMAND = "command", _("command line")
    BACKOFFICE = "backoffice", _("back office")
    MANIFEST = "manifest", _("the manifest's [site] origins")
    DEMO = "demo", _("the demonstration")


@kept(because=_("a setting of the site: kept until someone removes it"))
class AllowedOrigin(models.Model):
    """A site allowed to load the banner and call Gardien (besides Gardien's own address)."""

    origin = models.CharField(_("origin"), max_length=ORIGIN_LENGTH, unique=True)
    added_at = models.DateTimeField(_("added at"))
    added_from = models.CharField(_("added from"), max_length=16, choices=AddedFrom.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("allowed origin")
        verbose_name_plural = _("allowed origins")
        ordering = ["origin"]

    def __str__(self) -> str:
        return self.origin


@kept(because=_("only the refused origins seen most recently; the others go first"))
class RefusedOrigin(models.Model):
    """A site that called Gardien without being allowed: how often (at least) and when last.

    Written at most once a minute per origin and process, and at most
    :data:`gardien.site.services.MAX_REFUSED` rows are kept (the least recent go first)."""

    origin = models.CharField(_("origin"), max_length=ORIGIN_LENGTH, unique=True)
    count = models.PositiveIntegerField(_("requests"), default=0)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("refused origin")
        verbose_name_plural = _("refused origins")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.origin
