"""A real SMTP server for tests (aiosmtpd), which can be stopped and started on its port."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Collect:
    """aiosmtpd handler: keep every envelope the server accepts."""

    def __init__(self, box: list[Envelope]) -> None:
        self.box = box

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.box.append(envelope)
        return "250 Message accepted for delivery"


class MailServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started again on its port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received: list[Envelope] = []
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Collect(self.received), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def emails(self) -> list[EmailMessage]:
        return [parsed(envelope) for envelope in self.received]


def parsed(envelope: Envelope) -> EmailMessage:
    return email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)


@contextmanager
def serving(settings: Any) -> Iterator[MailServer]:
    """A started MailServer, with Django's default mailer sending to it (pytest-django's
    ``settings`` fixture restores the setting afterwards)."""
    server = MailServer()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    try:
        yield server
    finally:
        server.stop()
