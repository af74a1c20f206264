"""Pages of events: the public list and event page, the organiser's form, registrations,
check-in at the door (phone-sized), the sign-in sheet and the calendar entry."""

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.errors import Conflict, NotFound
from marketplace.core.forms import EmptyForm, commit_and_flash, commit_operation
from marketplace.core.pagination import paginate
from marketplace.core.permissions import require
from marketplace.extensions import db
from marketplace.meetings import bp, exports, permissions, queries
from marketplace.meetings import operations as ops
from marketplace.meetings.forms import CancelEventForm, EventForm, RegistrationForm
from marketplace.meetings.models import Event, Registration
from marketplace.meetings.states import EVENT_MACHINE, EventState, RegistrationState


def _event(event_id):
    event = db.session.get(Event, event_id)
    if event is None or not permissions.can_view_event(current_user, event):
        raise NotFound()
    return event


def _managed(event_id):
    event = _event(event_id)
    require(permissions.can_manage_event(current_user, event))
    return event


def _registration(registration_id):
    registration = db.session.get(Registration, registration_id)
    if registration is None or not permissions.can_view_registration(current_user, registration):
        raise NotFound()
    return registration


def _csrf():
    if not EmptyForm().validate_on_submit():
        abort(400)


def _challenge_choices():
    rows = db.session.scalars(sa.select(Challenge).where(Challenge.state.notin_(
        (ChallengeState.draft, ChallengeState.pending_review))).order_by(Challenge.id.desc()).limit(200)).all()
    return [SelectChoice(c.id, c.title) for c in rows]


@bp.get("/events")
def index():
    when = "past" if request.args.get("when") == "past" else "upcoming"
    page = paginate(queries.public_query(when))
    organised = permissions.can_create_event(current_user)
    return render_template("meetings/index.html", page=page, when=when, can_create=organised)


@bp.get("/events/<int:event_id>")
def detail(event_id):
    event = _event(event_id)
    user = current_user
    own = queries.own_registration(event, getattr(user, "organisation_id", None)) \
        if user.is_authenticated and user.role.value == "provider" else None
    from marketplace.challenges.permissions import can_view_challenge

    challenges = [row.challenge for row in event.challenge_rows if can_view_challenge(user, row.challenge)]
    return render_template(
        "meetings/detail.html", event=event, seats_left=queries.seats_left(event), challenges=challenges,
        own=own, position=queries.waitlist_position(own) if own else None,
        can_register=permissions.can_register(user, event) and (own is None or own.state.value in ("cancelled", "rejected")),
        can_cancel_own=own is not None and permissions.can_cancel_registration(user, own),
        can_manage=permissions.can_manage_event(user, event), form=RegistrationForm(),
        cancel_form=CancelEventForm(), actions=EVENT_MACHINE.actions_from(event.state), action_form=EmptyForm())


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_create_event(current_user))
    form = EventForm()
    form.challenge_ids.choices = _challenge_choices()
    if form.validate_on_submit():
        ok, event = commit_operation(form, lambda: ops.create_event(current_user, form.values()))
        if ok:
            flash("活动已保存为草稿，发布后公众可见。", "success")
            return redirect(url_for("meetings.detail", event_id=event.id))
    return render_template("meetings/form.html", form=form, event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id):
    event = _managed(event_id)
    if event.state != EventState.draft:
        raise Conflict(f"活动状态为“{event.state.label}”，只有草稿可以修改")
    form = EventForm(obj=event) if request.method == "GET" else EventForm()
    form.challenge_ids.choices = _challenge_choices()
    if request.method == "GET":
        form.kind.data = event.kind.value
        form.challenge_ids.data = event.challenge_ids
    if form.validate_on_submit():
        ok, _ = commit_operation(form, lambda: ops.update_event(current_user, event, form.values()))
        if ok:
            flash("活动已更新。", "success")
            return redirect(url_for("meetings.detail", event_id=event.id))
    return render_template("meetings/form.html", form=form, event=event)


@bp.post("/events/<int:event_id>/publish")
@login_required
def publish(event_id):
    event = _managed(event_id)
    _csrf()
    commit_and_flash(lambda: ops.publish_event(current_user, event), "活动已发布。")
    return redirect(url_for("meetings.detail", event_id=event.id))


@bp.post("/events/<int:event_id>/cancel")
@login_required
def cancel(event_id):
    event = _managed(event_id)
    form = CancelEventForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs if isinstance(e, str)) or "请填写取消原因",
              "danger")
        return redirect(url_for("meetings.detail", event_id=event.id))
    commit_and_flash(lambda: ops.cancel_event(current_user, event, reason=form.reason.data),
                     "活动已取消，已通知所有报名单位。")
    return redirect(url_for("meetings.detail", event_id=event.id))


@bp.post("/events/<int:event_id>/register")
@login_required
def register(event_id):
    event = _event(event_id)
    form = RegistrationForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs if isinstance(e, str)), "danger")
        return redirect(url_for("meetings.detail", event_id=event.id))

    def message(registration):
        if registration.state == RegistrationState.waitlisted:
            return "名额已满，贵单位已列入候补，有名额空出时将按先后递补并通知您。"
        if registration.state == RegistrationState.pending:
            return "报名已提交，等待主办方审核。"
        return "报名成功。"

    commit_and_flash(lambda: ops.register(current_user, event, attendees=form.attendees.data,
                                          note=form.note.data or ""), message)
    return redirect(url_for("meetings.detail", event_id=event.id))


@bp.post("/registrations/<int:registration_id>/cancel")
@login_required
def cancel_registration(registration_id):
    registration = _registration(registration_id)
    _csrf()
    commit_and_flash(lambda: ops.cancel_registration(current_user, registration), "报名已取消。")
    return redirect(url_for("meetings.detail", event_id=registration.event_id))


def _organiser_action(registration_id, operation, message):
    registration = _registration(registration_id)
    require(permissions.can_manage_event(current_user, registration.event))
    _csrf()
    commit_and_flash(lambda: operation(current_user, registration), message)
    back = request.form.get("next")
    if back == "checkin":
        return redirect(url_for("meetings.checkin", event_id=registration.event_id, q=request.form.get("q") or None))
    return redirect(url_for("meetings.registrations", event_id=registration.event_id))


@bp.post("/registrations/<int:registration_id>/approve")
@login_required
def approve_registration(registration_id):
    return _organiser_action(registration_id, ops.approve_registration, "已通过报名。")


@bp.post("/registrations/<int:registration_id>/reject")
@login_required
def reject_registration(registration_id):
    return _organiser_action(registration_id, ops.reject_registration, "已驳回报名。")


@bp.post("/registrations/<int:registration_id>/check-in")
@login_required
def check_in(registration_id):
    registration = _registration(registration_id)
    return _organiser_action(registration_id, ops.check_in, f"{registration.organisation.name} 已签到。")


@bp.get("/events/<int:event_id>/registrations")
@login_required
def registrations(event_id):
    event = _managed(event_id)
    rows = queries.registrations(event)
    return render_template("meetings/registrations.html", event=event, rows=rows,
                           seats_left=queries.seats_left(event), action_form=EmptyForm())


@bp.get("/events/<int:event_id>/check-in")
@login_required
def checkin(event_id):
    event = _managed(event_id)
    q = (request.args.get("q") or "").strip()[:50]
    rows = [r for r in queries.registrations(event)
            if r.state in (RegistrationState.registered, RegistrationState.attended)
            and (not q or q in r.organisation.name)]
    return render_template("meetings/checkin.html", event=event, rows=rows, q=q, action_form=EmptyForm())


@bp.get("/events/<int:event_id>/registrations.xlsx")
@login_required
def sign_in_sheet(event_id):
    event = _managed(event_id)
    return Response(exports.sign_in_xlsx(event, queries.registrations(event)),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=event-{event.id}-sign-in.xlsx"})


@bp.get("/events/<int:event_id>.ics")
def calendar_entry(event_id):
    event = _event(event_id)
    return Response(exports.event_ics(event, current_app.config.get("PUBLIC_BASE_URL", "")),
                    mimetype="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=event-{event.id}.ics"})


@bp.get("/my/events")
@login_required
def mine():
    user = current_user
    if user.role.value == "provider":
        return render_template("meetings/mine.html", registrations=queries.registrations_of(user.organisation_id),
                               organised=None)
    require(permissions.can_create_event(user))
    return render_template("meetings/mine.html", registrations=None, organised=paginate(queries.organised_query(user)))
