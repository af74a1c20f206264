"""The public case library (最佳实践), the excellent-provider directory, and the admin's publish page."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.accounts.models import Organisation
from marketplace.cases import bp, queries
from marketplace.cases import operations as ops
from marketplace.cases.forms import CaseForm
from marketplace.cases.models import Case
from marketplace.cases.permissions import can_publish_case
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.forms import apply_field_errors
from marketplace.core.pagination import paginate
from marketplace.core.permissions import get_or_404, require
from marketplace.extensions import db
from marketplace.projects.models import Project


@bp.get("/cases")
def index():
    domain = request.args.get("domain")
    q = (request.args.get("q") or "").strip()[:100] or None
    page = paginate(queries.case_query(domain=domain, q=q))
    return render_template("cases/index.html", page=page, domain=domain, q=q or "")


@bp.get("/cases/<int:case_id>")
def detail(case_id):
    case = get_or_404(Case, case_id)
    return render_template("cases/detail.html", case=case)


@bp.get("/excellent-providers")
def providers():
    domain = request.args.get("domain")
    return render_template("cases/providers.html", rows=queries.excellent_providers(domain), domain=domain)


@bp.get("/excellent-providers/<int:org_id>")
def provider(org_id):
    org = get_or_404(Organisation, org_id)
    cases = queries.provider_cases(org.id)
    if not cases:
        raise NotFound()
    return render_template("cases/provider.html", org=org, cases=cases)


@bp.route("/projects/<int:project_id>/case", methods=["GET", "POST"])
@login_required
def publish(project_id):
    require(can_publish_case(current_user))
    project = get_or_404(Project, project_id)
    form = CaseForm()
    if request.method == "GET":
        form.title.data = project.title
        form.solution_id.data = project.solution_id
    if form.validate_on_submit():
        try:
            case = ops.publish_case(current_user, project, **form.values())
            db.session.commit()
            flash("案例已发布到最佳实践案例库", "success")
            return redirect(url_for("cases.detail", case_id=case.id))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
    return render_template("cases/form.html", form=form, project=project), 422 if form.errors else 200
