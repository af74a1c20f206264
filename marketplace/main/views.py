import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.forms import EmptyForm
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


@bp.get("/workbench")
@login_required
def workbench():
    """工作台: the landing page after login for every role — what is waiting, counts first."""
    return _workbench_page()


def _workbench_page(status=200, error=None):
    from marketplace.core.db import utcnow
    from marketplace.main import workbench as wb

    context = {"queues": wb.workbench_for(current_user), "error": error, "now": utcnow(),
               "remind_hours": current_app.config.get("REMIND_INTERVAL_HOURS", 12)}
    if current_user.role.value == "admin":
        context["late"] = wb.late_evaluators()
    elif current_user.role.value == "department":
        context["links"] = wb.DEPARTMENT_LINKS
    elif current_user.role.value == "provider":
        context["listing"] = wb.provider_listing(current_user)
    return render_template("main/workbench.html", **context), status


@bp.post("/workbench/rounds/<int:round_id>/remind")
@login_required
def remind(round_id):
    """提醒: the admin reminds the late evaluators ticked under a round on the workbench."""
    require_role("admin")
    from marketplace.review import operations as review_ops

    round_ = review_ops.get_round(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        reminded = review_ops.remind_evaluators(current_user, round_, request.form.getlist("evaluator_ids"))
        db.session.commit()
    except (Conflict, ValidationFailed, NotAllowed) as exc:
        # Shown at the round's own form on the workbench, with the status the API would give.
        db.session.rollback()
        message = "；".join(exc.fields.values()) if getattr(exc, "fields", None) else exc.message
        return _workbench_page(exc.status, {"round_id": round_id, "message": message})
    flash(f"已提醒 {len(reminded)} 名专家：{'、'.join(m.evaluator.name for m in reminded)}", "success")
    return redirect(url_for("main.workbench", _anchor=f"late-{round_id}"))
