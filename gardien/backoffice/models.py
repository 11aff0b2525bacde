from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import technical


def _forgotten_after() -> dt.timedelta:
    from gardien.backoffice import throttle

    return max(throttle.MEMORY, throttle.lockout())


@technical(
    timestamp="last_failure_at",
    lifetime=_forgotten_after,
    because=_("failed logins are forgotten after a day without one"),
)
class LoginAttempt(models.Model):
    """Consecutive failed back-office logins for one username, one client address, or one
    username from one address; and when a username's holder was last told of them.

    ``key`` is an HMAC of the username, of the address or of both (see ``throttle.py``):
    the table never holds either in clear. An account's rows are deleted when a login to
    it succeeds.
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
