"""The honeypot: a form field people leave empty and form-filling robots do not.

Render it inside a form with ``{% include "antispam/honeypot.html" %}``: a text field
named ``website_url`` (:data:`FIELD`), visually hidden with the ``visually-hidden`` class
of ``gardien/gardien.css``, out of the tab order, with ``autocomplete="off"`` so that
browsers do not fill it, and a label asking screen-reader users to leave it empty. A page
that does not load ``gardien.css`` must hide ``.visually-hidden`` itself.

A filled honeypot is answered as a success and nothing is stored (``Refusal.honeypot``):
telling the robot it was caught would only teach it which field to skip.
"""

from __future__ import annotations

from collections.abc import Mapping

FIELD = "website_url"


def honeypot_filled(data: Mapping[str, str]) -> bool:
    """Whether the submission put anything but blanks in the honeypot field."""
    return bool(str(data.get(FIELD, "") or "").strip())
