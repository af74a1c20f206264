import sqlalchemy as sa
from flask import current_app, render_template
from flask_login import login_required

from marketplace.core.permissions import require_role
from marketplace.extensions import db
from marketplace.main import bp
from marketplace.providers import queries as provider_queries


@bp.get("/")
def index():
    from marketplace.challenges.queries import ChallengeFilters, public_page

    challenges, _ = public_page(ChallengeFilters(status="published", sort="deadline"), per_page=6)
    providers = db.session.scalars(provider_queries.directory_query().limit(6)).all()
    solutions = db.session.scalars(provider_queries.catalogue_query().limit(6)).all()
    return render_template("main/index.html", challenges=challenges, providers=providers, solutions=solutions)


@bp.get("/healthz")
def healthz():
    """For the load balancer: 200 while the database (and Redis, when configured) answers."""
    report = {"status": "ok", "database": "ok", "redis": "not configured"}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        report["database"] = "unreachable"
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2).ping()
            report["redis"] = "ok"
        except redis.RedisError:
            report["redis"] = "unreachable"
    if "unreachable" in report.values():
        report["status"] = "error"
        return report, 503
    return report


@bp.get("/admin/")
@login_required
def admin_home():
    require_role("admin")
    from marketplace.admin_summary import admin_summary

    return render_template("main/admin_home.html", summary=admin_summary())
