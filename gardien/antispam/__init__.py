"""Gardien's first-party anti-spam for public forms: no third party, no tracker.

Three checks, in this order: a honeypot field (``honeypot.py``), a per-address limit on
accepted submissions (``ratelimit.py``) and a proof-of-work challenge the browser solves
(``challenge.py``, ``GET /api/challenge`` and ``static/antispam/altcha.js``). Form views
use only :mod:`gardien.antispam.services` (its docstring shows a view)::

    from gardien import antispam

    refusal = antispam.check(request, request.POST, scope="contact")  # -> Refusal | None
    ...
    antispam.accepted(request, scope="contact")  # once the submission is stored

They are imported on first use, so that loading this package never touches the models
before Django is ready. In a template, inside the form::

    <form method="post" data-gardien-altcha="{% url 'antispam-challenge' %}">
      {% include "antispam/honeypot.html" %}
      <input type="hidden" name="altcha">
      ...
    </form>
    <script src="{% static 'antispam/altcha.js' %}" defer></script>
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gardien.antispam.services import Refusal, accepted, check

__all__ = ["Refusal", "accepted", "check"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gardien.antispam import services

        return getattr(services, name)
    raise AttributeError(f"module 'gardien.antispam' has no attribute {name!r}")
