"""揭榜挂帅场景平台 — the application factory."""

import importlib
import logging
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import CONFIGS


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` that 404s on ids no database column can hold, instead of a driver error."""

    # 1 … 2147483647 without leading zeros. An id outside it matches no rule at all, so every
    # method gets 404; a failing to_python would make werkzeug answer 405 whenever another
    # method's rule shares the path (GET and PATCH /users/<id>).
    ID_REGEX = (r"[1-9]\d{0,8}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
                r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7]")

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)
        if (self.min, self.max, self.fixed_digits, self.signed) == (1, 2**31 - 1, 0, False):
            self.regex = f"(?:{self.ID_REGEX})"


def create_app(config_class=None):
    if config_class is None:
        config_class = CONFIGS[os.environ.get("MARKETPLACE_ENV", "development")]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
        instance_path=os.path.join(root, "instance"),
    )
    app.config.from_object(config_class)
    if hasattr(config_class, "check"):
        config_class.check()
    app.url_map.converters["int"] = BoundedIntConverter
    from marketplace.core.inputs import CleanJSONProvider, CleanRequest

    # Every form value and JSON string is cleaned at the boundary, for pages and API alike.
    app.request_class = CleanRequest
    app.json = CleanJSONProvider(app)
    app.json.ensure_ascii = False
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)
    app.config.setdefault("MAX_CONTENT_LENGTH", app.config["UPLOAD_MAX_BYTES"] + 1024 * 1024)
    os.makedirs(app.instance_path, exist_ok=True)
    from marketplace.observability import configure_logging, register_request_hooks

    if not app.testing:
        configure_logging(app.config["LOG_FORMAT"])
    logging.getLogger("marketplace").setLevel(logging.INFO)

    register_extensions(app)
    register_blueprints(app)
    from marketplace import workflow

    workflow.connect()
    from marketplace.web import (
        register_deadline_sync,
        register_errorhandlers,
        register_security_headers,
        register_template_helpers,
    )

    register_errorhandlers(app)
    # Request id and timing first: a page served from the cache is logged and counted too.
    register_request_hooks(app)
    register_deadline_sync(app)
    register_security_headers(app)
    from marketplace.core import pagecache

    pagecache.install(app)  # after the deadline check, so a closing challenge changes the key first
    register_template_helpers(app)
    from marketplace.cli import register_commands

    register_commands(app)
    from marketplace.scheduler import maybe_start, maybe_start_search_keeper
    from marketplace.tasks import init_celery

    init_celery(app)
    maybe_start(app)
    maybe_start_search_keeper(app)
    return app


def register_extensions(app):
    from marketplace.core import aftercommit
    from marketplace.core.db import render_item
    from marketplace.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True, render_item=render_item)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录后再访问该页面"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    if not getattr(db, "_aftercommit_installed", False):
        aftercommit.install(db)
        db._aftercommit_installed = True

    from marketplace.accounts.sessions import load_user

    login_manager.user_loader(load_user)


def register_blueprints(app):
    from marketplace import (
        accounts,
        api,
        audit,
        cases,
        challenges,
        files,
        main,
        matching,
        meetings,
        needs,
        notices,
        notifications,
        projects,
        providers,
        review,
        search,
        submissions,
    )
    from marketplace.extensions import csrf

    # Pages are the edge: importing them attaches their routes to each area's blueprint. An
    # area's package does not import its views, so that lower areas can import it freely.
    for area in (main, accounts, providers, notifications, audit, challenges, submissions, files, review,
                 notices, search, projects, cases):
        importlib.import_module(f"{area.__name__}.views")
    app.register_blueprint(main.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(providers.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(challenges.bp)
    app.register_blueprint(submissions.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(notices.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(needs.bp)
    app.register_blueprint(matching.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens only, never cookies
