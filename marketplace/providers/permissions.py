"""Who may do what with provider listings and solutions."""

from marketplace.accounts.models import Role
from marketplace.core.permissions import is_admin


def is_member(user, organisation_id):
    return user is not None and user.is_authenticated and user.organisation_id == organisation_id


def can_view_application(user, app):
    return is_admin(user) or is_member(user, app.organisation_id)


def can_view_provider(user, org, listing):
    """The public sees admitted, unexpired providers; members and admins see their own anyway."""
    return (listing is not None and listing.is_admitted) or is_admin(user) or is_member(user, org.id)


def can_view_solution(user, solution, provider_admitted):
    if is_admin(user) or is_member(user, solution.organisation_id):
        return True
    return solution.is_active and provider_admitted


def can_edit_solution(user, solution):
    return (
        user is not None and user.is_authenticated and user.role == Role.provider
        and user.organisation_id == solution.organisation_id
    )
