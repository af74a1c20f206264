"""Who may read what of a notice and its objections."""


def can_read_objection_file(user, stored) -> bool:
    """An objection's evidence: the admin and the objecting provider only (the objector's identity
    is kept confidential)."""
    from marketplace.extensions import db
    from marketplace.notices.models import Objection

    owner = db.session.get(Objection, stored.owner_id)
    return owner is not None and getattr(user, "is_authenticated", False) and (
        user.role.value == "admin" or user.organisation_id == owner.provider_id)
