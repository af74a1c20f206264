"""Login throttling: per source address and per account, shared by the page and the API."""

from flask import current_app, request

from marketplace.extensions import limiter


def _limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_key():
    email = request.form.get("email")
    if email is None and request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # absurdly deep JSON; the view answers 400 for it
            body = None
        email = body.get("email") if isinstance(body, dict) else None
    return f"login-account:{str(email or '').strip().lower()[:254]}"


def login_throttle(fn):
    """Apply both limits; a 429 in Chinese comes from the app's HTTP error handler."""
    fn = limiter.limit(_limit, methods=["POST"], key_func=_account_key, scope="login-account")(fn)
    return limiter.limit(_limit, methods=["POST"], scope="login-ip")(fn)
