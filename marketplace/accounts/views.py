from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import bp, throttle
from marketplace.accounts import operations as ops
from marketplace.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    OrganisationEditForm,
    OrganisationForm,
    SignUpForm,
    UserEditForm,
    UserForm,
)
from marketplace.accounts.models import Organisation, OrganisationKind, Role, User
from marketplace.audit.operations import record
from marketplace.core.errors import Conflict, TooManyRequests, ValidationFailed
from marketplace.core.forms import EmptyForm, commit_and_flash, commit_operation
from marketplace.core.pagination import paginate
from marketplace.core.permissions import get_or_404, require_role
from marketplace.extensions import db


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return None


def home_for(user):
    """Every role lands on its workbench (工作台): what is waiting for it, counts first."""
    return url_for("main.workbench")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = throttle.sign_in(form.email.data, form.password.data)
        except TooManyRequests as exc:
            form.password.errors.append(exc.message)
            status, headers = exc.status, exc.headers
        else:
            if user is None:
                form.password.errors.append("邮箱或密码不正确，或账号已停用")
            else:
                record(user, "user.login", user)
                db.session.commit()
                login_user(user)
                flash(f"欢迎，{user.name}", "success")
                return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("accounts/login.html", form=form), status, headers


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            ops.log_out(current_user)
            db.session.commit()
        logout_user()
        flash("您已退出登录（所有设备上的登录均已结束）", "info")
    return redirect(url_for("main.index"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignUpForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            throttle.check_sign_up()
        except TooManyRequests as exc:
            form.email.errors.append(exc.message)
            status, headers = exc.status, exc.headers
        else:
            ok, _ = commit_operation(form, lambda: ops.sign_up_provider(
                organisation_name=form.organisation_name.data, credit_code=form.credit_code.data,
                contact_name=form.contact_name.data, email=form.email.data,
                password=form.password.data, phone=form.phone.data))
            if ok:  # the same answer whether or not the email was registered before
                flash(SIGNED_UP, "success")
                return redirect(url_for("accounts.login", next=url_for("providers.apply")))
    return render_template("accounts/signup.html", form=form), status, headers


SIGNED_UP = ("注册已提交。若该邮箱此前未注册过，服务商账号已经建立，请用刚才设置的密码登录，然后申请加入伙伴清单；"
             "若该邮箱已有账号，请直接登录，忘记密码请联系平台管理员。")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        ok, _ = commit_operation(form, lambda: ops.change_password(
            current_user, current_user, current_password=form.current_password.data,
            new_password=form.new_password.data))
        if ok:
            login_user(current_user._get_current_object())  # this browser carries the new session version
            flash("密码已修改，其他设备上的登录和访问令牌均已失效", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form)


# --- admin: organisations -------------------------------------------------------------------

@bp.get("/admin/organisations")
@login_required
def admin_organisations():
    require_role("admin")
    query = sa.select(Organisation).order_by(Organisation.kind, Organisation.name)
    kind = request.args.get("kind")
    if OrganisationKind.get(kind):
        query = query.where(Organisation.kind == kind)
    q = (request.args.get("q") or "").strip()[:100]
    if q:
        query = query.where(Organisation.name.contains(q, autoescape=True))
    return render_template("accounts/admin_organisations.html", page=paginate(query), kind=kind, q=q,
                           kinds=OrganisationKind)


def _organisation_form_page(form, org=None):
    return render_template("accounts/admin_organisation_form.html", form=form, org=org)


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@login_required
def admin_new_organisation():
    require_role("admin")
    form = OrganisationForm()
    if form.validate_on_submit():
        ok, org = commit_operation(form, lambda: ops.create_organisation(
            current_user, name=form.name.data, kind=form.kind.data, credit_code=form.credit_code.data,
            contact_name=form.contact_name.data, contact_phone=form.contact_phone.data))
        if ok:
            flash(f"已创建单位：{org.name}", "success")
            return redirect(url_for("accounts.admin_organisations"))
    return _organisation_form_page(form)


@bp.route("/admin/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def admin_edit_organisation(org_id):
    require_role("admin")
    org = get_or_404(Organisation, org_id)
    form = OrganisationEditForm(obj=org)
    if form.validate_on_submit():
        ok, _ = commit_operation(form, lambda: ops.update_organisation(
            current_user, org, name=form.name.data, credit_code=form.credit_code.data,
            contact_name=form.contact_name.data, contact_phone=form.contact_phone.data))
        if ok:
            flash("单位信息已保存", "success")
            return redirect(url_for("accounts.admin_organisations"))
    users = db.session.scalars(sa.select(User).where(User.organisation_id == org.id).order_by(User.id)).all()
    return render_template("accounts/admin_organisation_form.html", form=form, org=org, users=users)


# --- admin: users ---------------------------------------------------------------------------

def _organisation_choices():
    orgs = db.session.scalars(sa.select(Organisation).order_by(Organisation.kind, Organisation.name)).all()
    return [("", "（无）")] + [(str(o.id), f"{o.name}（{o.kind.label}）") for o in orgs]


@bp.get("/admin/users")
@login_required
def admin_users():
    require_role("admin")
    query = sa.select(User).order_by(User.id.desc())
    role = request.args.get("role")
    if Role.get(role):
        query = query.where(User.role == role)
    q = (request.args.get("q") or "").strip()[:100]
    if q:
        query = query.where(sa.or_(User.email.contains(q, autoescape=True), User.name.contains(q, autoescape=True)))
    status = request.args.get("status")
    if status in ("active", "inactive"):
        query = query.where(User.is_active.is_(status == "active"))
    return render_template("accounts/admin_users.html", page=paginate(query), roles=Role, role=role, q=q,
                           status=status, action_form=EmptyForm())


def _org_from_id(org_id):
    if not org_id:
        return None
    org = db.session.get(Organisation, org_id)
    if org is None:  # a stale or tampered choice must not silently become "no organisation"
        raise ValidationFailed(fields={"organisation_id": "请选择有效的单位"})
    return org


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def admin_new_user():
    require_role("admin")
    form = UserForm()
    org_choices = _organisation_choices()
    if form.validate_on_submit():
        ok, user = commit_operation(form, lambda: ops.create_user(
            current_user, email=form.email.data, password=form.password.data, name=form.name.data,
            role=form.role.data, organisation=_org_from_id(form.organisation_id.data)))
        if ok:
            flash(f"已创建用户：{user.email}", "success")
            return redirect(url_for("accounts.admin_users"))
    return render_template("accounts/admin_user_form.html", form=form, org_choices=org_choices, user=None)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def admin_edit_user(user_id):
    require_role("admin")
    user = get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:  # refusing to change one's own role is shown on the form, not as an error page
            ok, _ = commit_operation(form, lambda: ops.update_user(
                current_user, user, name=form.name.data, role=form.role.data,
                organisation=_org_from_id(form.organisation_id.data)))
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            ok = False
        if ok:
            flash("用户信息已保存", "success")
            return redirect(url_for("accounts.admin_users"))
    return render_template("accounts/admin_user_form.html", form=form, org_choices=_organisation_choices(),
                           user=user)


@bp.post("/admin/users/<int:user_id>/<any(activate, deactivate):action>")
@login_required
def admin_set_user_active(user_id, action):
    require_role("admin")
    user = get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        commit_and_flash(lambda: ops.set_user_active(current_user, user, action == "activate"),
                         f"已{'启用' if action == 'activate' else '停用'}账号 {user.email}")
    return redirect(url_for("accounts.admin_users"))
