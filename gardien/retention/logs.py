"""How long the web server's access log is kept: the manifest's security activity says.

Gardien writes no log file: gunicorn's access log and Gardien's own log lines go to the
standard output, which systemd's journal keeps. The journal's retention is set per
*namespace*, so Gardien's units log into their own (``LogNamespace=gardien``), and
``gardien logs`` writes that namespace's settings from the published policy:

- ``MaxRetentionSec`` is the security activity's period (its longest ``<period> after``
  clause), in the fewest days it can span (:attr:`Duration.days`), less one day;
- ``MaxFileSec=1day`` makes the journal start a new file every day, and a file goes when
  its newest line is older than ``MaxRetentionSec``: so no line outlives the period.

The activity is the one the retention engine already files logs under (``security``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from gardien.manifest import Manifest

ACTIVITY = "security"
NAMESPACE = "gardien"
CONF_PATH = f"/etc/systemd/journald@{NAMESPACE}.conf"


class NoLogPeriod(ValueError):
    """The published policy declares no period for its security logs; the message says so."""


@dataclass(frozen=True)
class LogRetention:
    period: str  # as the manifest writes it, e.g. "6 months after collected"
    days: int  # the journal keeps each line at most this many days

    def journald_conf(self) -> str:
        return (
            f"# {CONF_PATH}: how long the journal keeps Gardien's logs (its web server's\n"
            f"# access log and its own lines). Written by `gardien logs` from the published\n"
            f'# policy: activity "{ACTIVITY}", retention "{self.period}". Run it again after\n'
            "# changing that period, then: systemctl restart systemd-journald@gardien\n"
            "[Journal]\n"
            f"MaxRetentionSec={self.days - 1}day\n"
            "MaxFileSec=1day\n"
        )


def retention(manifest: Manifest) -> LogRetention:
    """The log retention the manifest's security activity declares."""
    try:
        activity = manifest.activity(ACTIVITY)
    except (KeyError, LookupError, ValueError):
        raise NoLogPeriod(
            _(
                'The manifest has no activity "%(id)s", which declares how long the server\'s '
                "logs are kept; add it (see examples/coopo/gardien.toml)."
            )
            % {"id": ACTIVITY}
        ) from None
    longest = activity.retention.longest
    if longest is None or longest.days < 2:
        raise NoLogPeriod(
            _(
                'The retention of the activity "%(id)s" gives no period in days or more '
                '(e.g. "6 months after collected"); the logs need one.'
            )
            % {"id": ACTIVITY}
        )
    return LogRetention(period=str(activity.retention), days=longest.days)
