"""Shared material for the anti-spam tests: a fast challenge, a solver, form requests."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import RequestFactory

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _antispam_settings(settings: Any) -> None:
    # A small search space keeps the Python solver quick; the protocol is the same.
    settings.GARDIEN_ALTCHA = True
    settings.GARDIEN_ALTCHA_MAXNUMBER = 1000
    settings.GARDIEN_ALTCHA_EXPIRES_SECONDS = 600
    settings.GARDIEN_RATE_LIMIT = "5/600"
    settings.GARDIEN_BEHIND_PROXY = False


def solve(challenge: dict[str, Any]) -> str:
    """What the browser sends back, computed here the way altcha.js does it."""
    salt, target = challenge["salt"], challenge["challenge"]
    for number in range(challenge["maxnumber"] + 1):
        if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() == target:
            break
    else:
        raise AssertionError("the challenge has no solution within maxnumber")
    return encode(
        {
            "algorithm": challenge["algorithm"],
            "challenge": challenge["challenge"],
            "number": number,
            "salt": challenge["salt"],
            "signature": challenge["signature"],
        }
    )


def encode(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def decode(payload: str) -> dict[str, Any]:
    return json.loads(base64.b64decode(payload))


@pytest.fixture
def solved() -> Callable[[], str]:
    """A fresh solution to a fresh challenge, at the current (Gardien) time."""
    from gardien.antispam import challenge

    return lambda: solve(challenge.issue())


@pytest.fixture
def form_post() -> Callable[..., HttpRequest]:
    """A POST of a public form, from ``address`` unless told otherwise."""
    factory = RequestFactory()

    def make(data: dict[str, str] | None = None, address: str = "203.0.113.7", **meta: str):
        return factory.post("/contact/", data or {}, REMOTE_ADDR=address, **meta)

    return make
