from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginAttempt(models.Model):
    """Consecutive failed back-office logins for one username or one client address.

    ``key`` is an HMAC of the username or of the address (see ``throttle.py``): the table
    never holds either in clear. A row is deleted when a login succeeds.
    """

    key = models.CharField(_("key"), max_length=64, unique=True)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")

    def __str__(self) -> str:
        return f"{self.key[:12]}… ({self.failures})"
