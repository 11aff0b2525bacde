"""What the anti-spam checks remember: redeemed challenges and accepted submissions.

Neither table holds a message, a form field or an address in clear; both are purged by
the periodic job ``antispam.purge`` (see ``services.purge_expired``).
"""

from __future__ import annotations

from django.db import models

SCOPE_MAX_LENGTH = 50


class UsedChallenge(models.Model):
    """A proof-of-work challenge a submission has redeemed, kept until the challenge expires.

    ``digest`` is the SHA-256 of the challenge string: the unique constraint makes a
    second redemption fail atomically, whichever process tries it. After ``expires_at``
    the challenge is refused as expired anyway, so the row can go.
    """

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.digest[:12]}… until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class CountedSubmission(models.Model):
    """One accepted submission of a form (``scope``) from one client address.

    ``address_key`` is a keyed hash of the address (see ``ratelimit.address_key``); the
    row is kept for one rate-limit period, only to count.
    """

    scope = models.CharField(max_length=SCOPE_MAX_LENGTH)
    address_key = models.CharField(max_length=64)
    counted_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["scope", "address_key", "counted_at"], name="antispam_scope_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.address_key[:12]}… at {self.counted_at:%Y-%m-%d %H:%M:%S}"
