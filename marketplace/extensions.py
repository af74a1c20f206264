"""Flask extensions, created once and initialised in the app factory."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from marketplace.core.db import Base
from marketplace.core.ratelimit import RateLimits

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = RateLimits()  # login and sign-up throttling (accounts/throttle.py)
