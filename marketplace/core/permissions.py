"""Small helpers used by views: `require(...)` turns a failed permission check into 403/404."""

from flask_login import current_user

from marketplace.core.errors import NotAllowed, NotFound


def require(allowed: bool, *, hide=False, message=None):
    """403 when not allowed; 404 instead when the object's existence must not be revealed."""
    if not allowed:
        raise NotFound() if hide else NotAllowed(message)


def require_role(*roles, user=None):
    user = user or current_user
    if not user.is_authenticated or user.role.value not in roles:
        raise NotAllowed()
    return user


def get_or_404(model, object_id):
    from marketplace.extensions import db

    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound()
    return obj


def is_authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_admin(user) -> bool:
    # By value: core sits below accounts and does not import its Role enum.
    return is_authenticated(user) and user.role.value == "admin"
