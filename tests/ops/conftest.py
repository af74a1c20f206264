"""The real SMTP server fixtures of the notification tests, shared here."""

from tests.notifications.conftest import dead_smtp, free_port, mailbox, smtp_server  # noqa: F401
