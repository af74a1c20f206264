"""供需对接: which admitted providers and catalogue solutions fit a published challenge (with the
reasons for each score), the department's invitations, the provider's 为我推荐 list, and the
domain subscribers told when a challenge is published."""

from flask import Blueprint

bp = Blueprint("matching", __name__)

from marketplace.matching import notifications, views  # noqa: E402,F401  (subscribers connect on import)
