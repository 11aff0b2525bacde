"""The Global Privacy Control signal (https://privacycg.github.io/gpc-spec/), read one way
for the banner's configuration and the consent page without JavaScript."""

from __future__ import annotations

from django.http import HttpRequest


def from_header(value: str | None) -> bool:
    """Whether a ``Sec-GPC`` value carries the signal.

    The specification defines only "1"; anything else is no signal. A header sent on several
    lines reaches Django joined with ", ", so it counts when every member is "1".
    """
    if value is None:
        return False
    return all(member.strip() == "1" for member in value.split(","))


def signalled(request: HttpRequest) -> bool:
    """Whether the visitor's browser sends the Global Privacy Control signal."""
    return from_header(request.headers.get("Sec-GPC"))
