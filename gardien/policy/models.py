from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import kept


@kept(because=_("the history of what the organisation promised, and when"))
class PolicyVersion(models.Model):
    """One published state of the manifest; the policy page shows the latest."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    published_at = models.DateTimeField(_("published"))
    note = models.TextField(_("note"), blank=True)
    manifest = models.JSONField(_("manifest"))
    source = models.TextField(_("manifest file"), blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"v{self.number} ({self.published_at:%Y-%m-%d})"
