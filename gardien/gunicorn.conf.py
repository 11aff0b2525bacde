"""Gunicorn settings for Gardien (`gunicorn gardien.wsgi -c gardien/gunicorn.conf.py`).

The access log leaves out the query string (``%(U)s``, the path only, instead of
``%(r)s``), the referrer, the user agent and any HTTP user name, and every gunicorn log
line goes through Gardien's redaction filter, which also hides path segments that look
like tokens (see gardien/lib/logging.py).
"""

from __future__ import annotations

import logging

from gardien.lib.logging import RedactFilter

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

# Logger filters survive gunicorn's own logging set-up and the fork into workers.
for _name in ("gunicorn.access", "gunicorn.error"):
    _log = logging.getLogger(_name)
    if not any(isinstance(f, RedactFilter) for f in _log.filters):
        _log.addFilter(RedactFilter())
