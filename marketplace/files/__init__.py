from flask import Blueprint

bp = Blueprint("files", __name__)

from marketplace.files import views  # noqa: E402,F401
