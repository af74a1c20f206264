"""Outgoing email over SMTP. Called only after commit; a failure is logged, never raised."""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger(__name__)


def smtp_configured(config) -> bool:
    return bool(config.get("SMTP_HOST"))


def send_mail(config, to: str, subject: str, body: str) -> bool:
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="marketplace.local")
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
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("email to %s failed: %s", to, exc)
        return False
