from flask import Blueprint

bp = Blueprint("notices", __name__)
