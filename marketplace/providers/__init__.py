from flask import Blueprint

bp = Blueprint("providers", __name__)

from marketplace.providers import views  # noqa: E402,F401
