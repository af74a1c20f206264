"""Who may see and do what with events. Drafts are visible to their organisers only (404 else)."""

from marketplace.accounts.models import Role
from marketplace.core.permissions import is_authenticated as _auth
from marketplace.meetings.operations import is_organiser
from marketplace.meetings.states import EventState, RegistrationState


def can_create_event(user):
    return _auth(user) and user.role in (Role.admin, Role.department)


def can_view_event(user, event):
    return event.state != EventState.draft or is_organiser(user, event)


def can_manage_event(user, event):
    return is_organiser(user, event)


def can_register(user, event):
    return _auth(user) and user.role == Role.provider and user.organisation_id is not None \
        and event.registration_open()


def can_view_registration(user, registration):
    if not _auth(user):
        return False
    if user.role == Role.provider:
        return user.organisation_id == registration.organisation_id
    return is_organiser(user, registration.event)


def can_cancel_registration(user, registration):
    return _auth(user) and user.role == Role.provider and user.organisation_id == registration.organisation_id \
        and registration.state in (RegistrationState.pending, RegistrationState.registered,
                                   RegistrationState.waitlisted) \
        and registration.event.state == EventState.published
