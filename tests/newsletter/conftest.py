"""Shared material for the newsletter tests: a published policy, a real SMTP server, the
worker, and the API served as gunicorn serves it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from tests.mailserver import MailServer, serving
from tests.wsgi_client import Served, call_wsgi, wsgi_environ

ORIGIN = "https://www.coopo.fr"
ADDRESS = "camille.durand@example.org"


@pytest.fixture(autouse=True)
def _no_challenge_unless_asked(settings: Any) -> None:
    settings.GARDIEN_ALTCHA = False
    settings.SITE_URL = "https://gardien.coopo.example"


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    with serving(settings) as server:
        yield server


@pytest.fixture
def api(published: Any) -> Callable[..., Served]:
    """POST /api/newsletter/subscribe from an allowed site, through gardien.wsgi.application."""

    def post(
        data: Any,
        *,
        origin: str | None = ORIGIN,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Served:
        text = data if isinstance(data, (str, bytes)) else json.dumps(data)
        body = text.encode() if isinstance(text, str) else text
        sent = {"Content-Type": content_type, **({"Origin": origin} if origin else {})}
        return call_wsgi(
            wsgi_environ(
                "POST", "/api/newsletter/subscribe", body, headers={**sent, **(headers or {})}
            )
        )

    return post


def signup(address: str = ADDRESS, **extra: Any) -> dict[str, Any]:
    return {"email": address, "newsletter_consent": True, **extra}


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def link(message: EmailMessage, kind: str) -> str:
    """The path of the first link of ``kind`` ("confirm" or "unsubscribe") in the text part."""
    found = re.search(
        rf"https://gardien\.coopo\.example(/\S*newsletter/{kind}/\S+)", text_of(message)
    )
    assert found, f"no {kind} link in:\n{text_of(message)}"
    return found[1]


def one_click_path(message: EmailMessage) -> str:
    header = message["List-Unsubscribe"]
    found = re.fullmatch(r"<https://gardien\.coopo\.example(/newsletter/unsubscribe/\S+)>", header)
    assert found, header
    return found[1]
