"""Outgoing email over SMTP. Called only by the outbox delivery task, after commit."""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger(__name__)


class MailError(Exception):
    def __init__(self, message, permanent=False):
        super().__init__(message)
        self.permanent = permanent


def smtp_configured(config) -> bool:
    return bool(config.get("SMTP_HOST"))


def deliver_mail(config, to: str, subject: str, body: str, message_id=None):
    """Hand one message to the SMTP server or raise MailError (permanent when the server refused
    it with a 5xx reply, so retrying cannot help)."""
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # A stable id per outbox row lets a mail client drop the rare duplicate (worker killed
    # between the SMTP reply and the commit that marks the row sent).
    message["Message-ID"] = message_id or make_msgid(domain="marketplace.local")
    message.set_content(body, charset="utf-8")
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    try:
        if config.get("SMTP_SSL"):
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if config.get("SMTP_STARTTLS"):
                client.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                client.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{exc.smtp_code} {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc


def send_mail(config, to: str, subject: str, body: str) -> bool:
    """deliver_mail that logs a failure instead of raising."""
    try:
        deliver_mail(config, to, subject, body)
        return True
    except MailError as exc:
        log.warning("email to %s failed: %s", to, exc)
        return False
