from flask import Blueprint

bp = Blueprint("submissions", __name__)

from marketplace.submissions import views  # noqa: E402,F401
