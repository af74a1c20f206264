from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.accounts.models import Organisation
from marketplace.core.domains import DOMAINS
from marketplace.core.errors import DomainError, NotFound, ValidationFailed
from marketplace.core.forms import KEPT_ON_FORM, EmptyForm, apply_field_errors, commit_and_flash, place_refusal
from marketplace.core.pagination import paginate
from marketplace.core.permissions import get_or_404, require, require_role
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.providers import bp, permissions, queries
from marketplace.providers import operations as ops
from marketplace.providers.forms import AdmitForm, NoteForm, PartnerApplicationForm, ReasonForm, SolutionForm
from marketplace.providers.models import PartnerApplication, Solution
from marketplace.providers.states import PARTNER_MACHINE, PartnerState


def _domain_arg():
    domain = request.args.get("domain")
    return domain if domain in DOMAINS else None


def _q_arg():
    return (request.args.get("q") or "").strip()[:100] or None


# --- public ---------------------------------------------------------------------------------

@bp.get("/providers")
def directory():
    domain, q = _domain_arg(), _q_arg()
    page = paginate(queries.directory_query(domain=domain, q=q), default_per_page=12)
    return render_template("providers/directory.html", page=page, domain=domain, q=q)


@bp.get("/providers/<int:org_id>")
def provider_detail(org_id):
    org = db.session.get(Organisation, org_id)
    listing = queries.latest_application(org_id) if org is not None else None
    if listing is None or not permissions.can_view_provider(current_user, org, listing):
        raise NotFound()
    return render_template("providers/provider_detail.html", org=org, listing=listing,
                           solutions=queries.solutions_of(org_id))


@bp.get("/catalogue")
def catalogue():
    domain, q = _domain_arg(), _q_arg()
    page = paginate(queries.catalogue_query(domain=domain, q=q), default_per_page=12)
    return render_template("providers/catalogue.html", page=page, domain=domain, q=q)


@bp.get("/catalogue/<int:solution_id>")
def solution_detail(solution_id):
    solution = get_or_404(Solution, solution_id)
    admitted = queries.admitted_listing(solution.organisation_id) is not None
    require(permissions.can_view_solution(current_user, solution, admitted), hide=True)
    return render_template("providers/solution_detail.html", solution=solution, provider_admitted=admitted)


# --- provider -------------------------------------------------------------------------------

@bp.route("/partner/apply", methods=["GET", "POST"])
@login_required
def apply():
    require_role("provider")
    org = current_user.organisation
    latest = queries.latest_application(org.id)
    form = PartnerApplicationForm()
    if request.method == "GET":
        form.credit_code.data = org.credit_code
        if latest is not None:  # re-applying: start from the previous application
            form.domains.data = latest.domains
            form.qualifications.data = latest.qualifications
            form.reference_cases.data = latest.reference_cases
    if form.validate_on_submit():
        try:
            ops.apply_for_partner_list(
                current_user, credit_code=form.credit_code.data, domains=form.domains.data,
                qualifications=form.qualifications.data, reference_cases=form.reference_cases.data)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("providers.my_application"))
        else:
            flash("申请已提交，请等待平台管理员审核。", "success")
            return redirect(url_for("providers.my_application"))
    return render_template("providers/apply.html", form=form, latest=latest)


@bp.get("/partner/application")
@login_required
def my_application():
    require_role("provider")
    org = current_user.organisation
    applications = queries.applications_of(org.id)
    latest = applications[0] if applications else None
    can_apply = latest is None or latest.effective_state in (PartnerState.rejected, PartnerState.expired,
                                                            PartnerState.removed)
    return render_template("providers/my_application.html", org=org, applications=applications,
                           latest=latest, can_apply=can_apply, standing=ops.provider_standing(org))


@bp.get("/my/solutions")
@login_required
def my_solutions():
    require_role("provider")
    org = current_user.organisation
    return render_template("providers/my_solutions.html", solutions=queries.solutions_of(org.id, active_only=False),
                           standing=ops.provider_standing(org), action_form=EmptyForm())


@bp.route("/my/solutions/new", methods=["GET", "POST"])
@login_required
def new_solution():
    require_role("provider")
    form = SolutionForm()
    standing = ops.provider_standing(current_user.organisation)
    if form.validate_on_submit():
        try:
            solution = ops.create_solution(current_user, title=form.title.data, domain=form.domain.data,
                                           summary=form.summary.data)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("解决方案已发布到解决方案清单", "success")
            return redirect(url_for("providers.solution_detail", solution_id=solution.id))
    return render_template("providers/solution_form.html", form=form, solution=None, standing=standing)


def _own_solution(solution_id):
    solution = get_or_404(Solution, solution_id)
    require(permissions.can_edit_solution(current_user, solution), hide=True)
    return solution


@bp.route("/my/solutions/<int:solution_id>/edit", methods=["GET", "POST"])
@login_required
def edit_solution(solution_id):
    require_role("provider")
    solution = _own_solution(solution_id)
    form = SolutionForm(obj=solution)
    if form.validate_on_submit():
        try:
            ops.update_solution(current_user, solution, title=form.title.data, domain=form.domain.data,
                                summary=form.summary.data)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("解决方案已保存", "success")
            return redirect(url_for("providers.my_solutions"))
    return render_template("providers/solution_form.html", form=form, solution=solution,
                           standing=ops.provider_standing(current_user.organisation))


@bp.post("/my/solutions/<int:solution_id>/withdraw")
@login_required
def withdraw_solution(solution_id):
    require_role("provider")
    solution = _own_solution(solution_id)
    if EmptyForm().validate_on_submit():
        commit_and_flash(lambda: ops.withdraw_solution(current_user, solution), "解决方案已下架")
    return redirect(url_for("providers.my_solutions"))


# --- admin ----------------------------------------------------------------------------------

@bp.get("/admin/partner-applications")
@login_required
def admin_applications():
    require_role("admin")
    state = request.args.get("state", "applied")
    state = state if (PartnerState.get(state) or state == "all") else "applied"
    q = _q_arg()
    page = paginate(queries.applications_query(state=None if state == "all" else state, q=q))
    return render_template("providers/admin_applications.html", page=page, state=state, q=q, states=PartnerState)


def _admin_page(app, refused_action=None, **forms):
    forms.setdefault("admit_form", AdmitForm(valid_until=today_shanghai() + timedelta(days=365 * 3)))
    forms.setdefault("reject_form", ReasonForm(prefix="reject"))
    forms.setdefault("suspend_form", ReasonForm(prefix="suspend"))
    forms.setdefault("remove_form", ReasonForm(prefix="remove"))
    forms.setdefault("reinstate_form", NoteForm(prefix="reinstate"))
    history = queries.applications_of(app.organisation_id)
    is_current = bool(history) and history[0].id == app.id
    actions = PARTNER_MACHINE.actions_from(app.effective_state) if is_current else []
    return render_template("providers/admin_application.html", app=app, history=history, actions=actions,
                           refused_action=refused_action, **forms)


@bp.get("/admin/partner-applications/<int:app_id>")
@login_required
def admin_application(app_id):
    require_role("admin")
    return _admin_page(get_or_404(PartnerApplication, app_id))


@bp.post("/admin/partner-applications/<int:app_id>/<any(admit, reject, suspend, reinstate, remove):action>")
@login_required
def admin_decide(app_id, action):
    require_role("admin")
    app = get_or_404(PartnerApplication, app_id)
    form = {
        "admit": lambda: AdmitForm(),
        "reject": lambda: ReasonForm(prefix="reject"),
        "suspend": lambda: ReasonForm(prefix="suspend"),
        "remove": lambda: ReasonForm(prefix="remove"),
        "reinstate": lambda: NoteForm(prefix="reinstate"),
    }[action]()
    if not form.validate_on_submit():
        return _admin_page(app, **{f"{action}_form": form}), 422
    org = app.organisation
    try:
        if action == "admit":
            ops.admit_application(current_user, app, valid_until=form.valid_until.data)
        elif action == "reject":
            ops.reject_application(current_user, app, reason=form.reason.data)
        elif action == "suspend":
            ops.suspend_provider(current_user, org, reason=form.reason.data)
        elif action == "reinstate":
            ops.reinstate_provider(current_user, org, note=form.note.data)
        else:
            ops.remove_provider(current_user, org, reason=form.reason.data)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return _admin_page(db.session.get(PartnerApplication, app_id), **{f"{action}_form": form}), 422
    except KEPT_ON_FORM as exc:
        # Another admin decided first (the state moved on): the page as it is now, this form still
        # shown with what was typed and the reason at its top.
        db.session.rollback()
        place_refusal(form, exc)
        return _admin_page(db.session.get(PartnerApplication, app_id), refused_action=action,
                           **{f"{action}_form": form}), exc.status
    flash(f"已{PARTNER_MACHINE.actions[action]}：{org.name}", "success")
    return redirect(url_for("providers.admin_application", app_id=app_id))
