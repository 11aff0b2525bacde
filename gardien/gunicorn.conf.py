"""Gunicorn settings for Gardien (`gunicorn gardien.wsgi -c gardien/gunicorn.conf.py`).

The access log leaves out the query string (``%(U)s``, the path only, instead of
``%(r)s``), the referrer, the user agent and any HTTP user name, and every gunicorn log
line goes through Gardien's redaction filter, which also hides path segments that look
like tokens (see gardien/lib/logging.py). The client address (``%(h)s``) is cut to its
network, IPv4 /24 and IPv6 /48 (``203.0.113.0``), by :class:`AccessLogger`.

The access log goes to the standard output, which systemd's journal (or the container
runtime) keeps and rotates; Gardien writes no log file of its own.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

from gardien.lib.logging import RedactFilter, truncated_address

# Threads: a worker serves several requests at once, so one waiting on the database (a
# consent proof, a back-office export) does not hold up the others, and the page views
# arriving together are committed together (gardien/audience/batch.py): with one request
# per worker, each would be its own transaction. Django keeps one database connection per
# thread; 4 threads per worker is a small pool for each (PostgreSQL max_connections).
worker_class = "gthread"
threads = 4


class AccessLogger(Logger):
    """Gunicorn's logger, with the client's network instead of its address."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = truncated_address(str(atoms.get("h", "")))
        return atoms


logger_class = AccessLogger
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

# Logger filters survive gunicorn's own logging set-up and the fork into workers.
for _name in ("gunicorn.access", "gunicorn.error"):
    _log = logging.getLogger(_name)
    if not any(isinstance(f, RedactFilter) for f in _log.filters):
        _log.addFilter(RedactFilter())


def on_starting(server: object) -> None:
    """Check the keys in gunicorn's master process, before any worker: a missing, malformed
    or wrong field or index key stops the server with one sentence (gardien/vault/keycheck.py)."""
    import os

    import django
    from django.db import connections

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
    django.setup()
    from gardien.backup.restoring import refuse_unfinished
    from gardien.vault.keycheck import check_at_start

    try:
        refuse_unfinished()  # a restore stopped before its replay (gardien/backup/restoring.py)
        check_at_start()
    finally:
        connections.close_all()  # the workers are forked from here: no shared connection
