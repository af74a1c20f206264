"""The real SMTP server fixtures of the notification tests, and the audit tests' `tamper`, shared here."""

from tests.audit.conftest import tamper  # noqa: F401  (for test_cli)
from tests.notifications.conftest import dead_smtp, free_port, mailbox, smtp_server  # noqa: F401
