"""``{{ moment|when }}``: an instant in the organisation's zone, named (see gardien.lib.when)."""

from __future__ import annotations

from datetime import datetime

from django import template

from gardien.lib import when as _when

register = template.Library()


@register.filter
def when(moment: datetime | None) -> str:
    return _when.display(moment)


@register.simple_tag
def time_zone() -> str:
    return _when.zone()
