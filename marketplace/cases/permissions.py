"""Cases are public once published; only the platform admin publishes them."""

from marketplace.accounts.models import Role


def can_publish_case(user):
    return user is not None and getattr(user, "is_authenticated", False) and user.role == Role.admin
