"""Password hashing with argon2id; the cost comes from the app config."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hashers = {}


def _hasher():
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=1)
    return _hashers[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


_DUMMY = {}


def burn_time(password: str):
    """Verify against a dummy hash so that unknown emails take as long as wrong passwords."""
    hasher = _hasher()
    if hasher not in _DUMMY:
        _DUMMY[hasher] = hasher.hash("dummy-password")
    check_password(_DUMMY[hasher], password)
