"""The one rule for email addresses (登录账号): what login, sign-up, the admin's user form, the
API and `flask create-admin` accept, and the single form in which an address is stored and
looked up. An address that could be created but not typed into the login form (`admin@localhost`)
would be an account nobody can sign in to."""

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """`str(exc)` is the Chinese message for the field."""


def normalise_email(raw) -> str:
    """`raw` trimmed, checked (syntax and a real domain; no DNS lookup) and lower-cased, or
    InvalidEmail. Lower-cased whole: people type their address in any case and expect to be
    recognised."""
    value = (raw or "").strip() if isinstance(raw, str) else ""
    if not value:
        raise InvalidEmail("请填写邮箱地址")
    if len(value) > MAX_LENGTH:
        raise InvalidEmail("邮箱过长")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmail("请填写有效的邮箱地址") from None
    return result.normalized.lower()
