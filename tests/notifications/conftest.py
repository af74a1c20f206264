"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the email tests."""

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from tests.page_helpers import provider  # noqa: F401  (fixture re-exported, for the inbox page tests)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StoringHandler:
    def __init__(self):
        self.envelopes = []
        self.reject_with = None  # e.g. "550 mailbox unavailable" to make the server refuse

    async def handle_DATA(self, server, session, envelope):
        if self.reject_with:
            return self.reject_with
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        return [email.message_from_bytes(e.original_content or e.content, policy=policy.default)
                for e in self.envelopes]

    def to(self, address):
        return [m for m, e in zip(self.messages, self.envelopes, strict=True) if address in e.rcpt_tos]

    def clear(self):
        self.envelopes.clear()


@pytest.fixture(scope="session")
def smtp_server():
    handler = StoringHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def mailbox(app, smtp_server, monkeypatch):
    """Point the (session-wide) app at the local SMTP server for this test only."""
    handler = smtp_server.handler
    handler.clear()
    handler.reject_with = None
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "SMTP_SSL", False)
    monkeypatch.setitem(app.config, "SMTP_USER", "")
    yield handler
    handler.clear()
    handler.reject_with = None


@pytest.fixture
def dead_smtp(app, monkeypatch):
    """SMTP configured, but nothing listens on the port."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "SMTP_SSL", False)
