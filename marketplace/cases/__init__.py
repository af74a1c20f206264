from flask import Blueprint

bp = Blueprint("cases", __name__)

from marketplace.cases import views  # noqa: E402,F401
