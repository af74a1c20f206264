"""Web sessions. The session cookie carries "<user id>:<session version>" (`User.get_id`); a
session whose version is no longer the user's current one is over."""

from marketplace.accounts.models import User
from marketplace.extensions import db


def load_user(session_id):
    user_id, sep, version = str(session_id).partition(":")
    if not (sep and user_id.isdigit() and version.isdigit()):
        return None  # a cookie from before session versions: sign in again
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user
