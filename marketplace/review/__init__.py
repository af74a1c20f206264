from flask import Blueprint

bp = Blueprint("review", __name__)

from marketplace.review import views  # noqa: E402,F401
