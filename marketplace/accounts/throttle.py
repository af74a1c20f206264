"""Login and sign-up throttling, one set of counters for the login page and the token endpoint.

Three moving windows (limits in config.py, defaults and reasons in the README):

* per account and source address — every attempt counts and a successful login clears it, so
  it caps the guesses one address can make at one account (10 per 15 minutes). It is counted
  before the password is checked, atomically, so parallel requests cannot slip past it;
* per account over all addresses — failures only, a ceiling well above what one address may
  try (100 per hour), so that spreading guesses over many addresses gains little while a
  single foreign address cannot lock the real owner out;
* per source address — failures only and generous (600 per hour): a district office signs in
  its whole staff through one NAT address at 9:00 without touching it.

Counters are keyed by a hash of the normalised email (no addresses in Redis), and exist for
emails with no account too, so throttling says nothing about which accounts exist.
"""

import hashlib

from flask import current_app, request

from marketplace.accounts.emails import InvalidEmail, normalise_email
from marketplace.accounts.operations import authenticate
from marketplace.core.errors import TooManyRequests
from marketplace.extensions import limiter


def _address():
    return request.remote_addr or "unknown"


def _account(email):
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]


def _limits(email):
    config, account, address = current_app.config, _account(email), _address()
    return {
        "account_address": (config["LOGIN_LIMIT_ACCOUNT_ADDRESS"], "login-account-address", account, address),
        "account": (config["LOGIN_LIMIT_ACCOUNT"], "login-account", account),
        "address": (config["LOGIN_LIMIT_ADDRESS"], "login-address", address),
    }


def _wait(seconds):
    return f"{seconds} 秒" if seconds < 60 else f"{-(-seconds // 60)} 分钟"


def _refuse(limit):
    seconds = limiter.retry_after(*limit)
    return TooManyRequests(f"操作过于频繁：登录失败次数过多，请 {_wait(seconds)}后再试", retry_after=seconds)


def check_login(email):
    """Before checking a password for `email` (normalised): count the attempt, or raise
    `TooManyRequests` (429, with Retry-After) without looking at the password at all."""
    limits = _limits(email)
    for name in ("address", "account"):
        if not limiter.test(*limits[name]):
            raise _refuse(limits[name])
    if not limiter.hit(*limits["account_address"]):
        raise _refuse(limits["account_address"])


def login_failed(email):
    limits = _limits(email)
    limiter.hit(*limits["address"])
    limiter.hit(*limits["account"])


def login_succeeded(email):
    limiter.clear(*_limits(email)["account_address"])


def check_sign_up():
    """Count a sign-up from this address, or raise `TooManyRequests`."""
    limit = (current_app.config["SIGNUP_LIMIT_ADDRESS"], "sign-up-address", _address())
    if not limiter.hit(*limit):
        seconds = limiter.retry_after(*limit)
        raise TooManyRequests(f"操作过于频繁：该网络地址注册次数过多，请 {_wait(seconds)}后再试",
                              retry_after=seconds)


def sign_in(email, password):
    """The active user with these credentials or None, after the throttle let the attempt
    through; the page and the token endpoint both sign in here, so they share every counter."""
    try:
        email = normalise_email(email)
    except InvalidEmail:  # the forms let no such address through; count it as typed
        email = str(email or "").strip().lower()[:254]
    check_login(email)
    user = authenticate(email, password)
    if user is None:
        login_failed(email)
    else:
        login_succeeded(email)
    return user
