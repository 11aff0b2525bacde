"""What the anti-spam checks remember: redeemed challenges and accepted submissions.

Neither table holds a message, a form field or an address in clear; both are purged by
the periodic job ``antispam.purge`` (see ``services.purge_expired``).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from gardien.retention.registry import technical

SCOPE_MAX_LENGTH = 50


@technical(expires="expires_at", because=_("a used anti-spam challenge is refused until then"))
class UsedChallenge(models.Model):
    """A proof-of-work challenge a submission has redeemed, kept until the challenge expires.

    ``digest`` is the SHA-256 of the challenge string: the unique constraint makes a
    second redemption fail atomically, whichever process tries it. After ``expires_at``
    the challenge is refused as expired anyway, so the row can go.
    """

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("used anti-spam challenge")
        verbose_name_plural = _("used anti-spam challenges")

    def __str__(self) -> str:
        return f"{self.digest[:12]}… until {self.expires_at:%Y-%m-%d %H:%M:%S}"


def _rate_period() -> dt.timedelta:
    from gardien.antispam.ratelimit import rate_limit

    return rate_limit().period


@technical(
    timestamp="counted_at",
    lifetime=_rate_period,
    because=_("a form sent is counted for one rate-limit period"),
)
class CountedSubmission(models.Model):
    """One accepted submission of a form (``scope``) from one client address.

    ``address_key`` is a keyed hash of the address (see ``ratelimit.address_key``); the
    row is kept for one rate-limit period, only to count.
    """

    scope = models.CharField(max_length=SCOPE_MAX_LENGTH)
    address_key = models.CharField(max_length=64)
    counted_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("counted submission")
        verbose_name_plural = _("counted submissions")
        indexes = [
            models.Index(
                fields=["scope", "address_key", "counted_at"], name="antispam_scope_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.address_key[:12]}… at {self.counted_at:%Y-%m-%d %H:%M:%S}"
