"""Events (路演、供需对接会、创新大赛) and their registrations.

Seats are counted under a row lock on the event (SELECT … FOR UPDATE): every operation that
takes or frees seats locks the event first, so concurrent registrations are serialised and the
seats held never exceed the capacity. The waitlist is served in registration order.
"""

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Role
from marketplace.audit.operations import record
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.extensions import db
from marketplace.meetings import events
from marketplace.meetings.models import Event, EventChallenge, Registration
from marketplace.meetings.states import (
    EVENT_MACHINE,
    LIVE_STATES,
    MAX_ATTENDEES,
    REGISTRATION_MACHINE,
    SEATED_STATES,
    EventKind,
    EventState,
    RegistrationState,
)

R = RegistrationState
REMINDER_WINDOW = timedelta(hours=24)


def is_organiser(user, event):
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.admin:
        return True
    return user.role == Role.department and event.organiser_org_id is not None \
        and user.organisation_id == event.organiser_org_id


def _require_organiser(actor, event):
    if not is_organiser(actor, event):
        raise NotAllowed("只有活动的主办方可以执行此操作")


def _snapshot(event):
    return {"state": event.state, "title": event.title, "starts_at": event.starts_at, "ends_at": event.ends_at,
            "venue": event.venue, "capacity": event.capacity, "registration_deadline": event.registration_deadline,
            "requires_approval": event.requires_approval, "challenge_ids": event.challenge_ids}


def _apply_values(event, values):
    fields = {}
    starts, ends, deadline = values["starts_at"], values["ends_at"], values["registration_deadline"]
    if starts <= utcnow():
        fields["starts_at"] = "开始时间必须晚于当前时间"
    if ends <= starts:
        fields["ends_at"] = "结束时间必须晚于开始时间"
    if deadline > starts:
        fields["registration_deadline"] = "报名截止时间不能晚于开始时间"
    ids = sorted(set(values.get("challenge_ids") or []))
    if ids:
        with db.session.no_autoflush:
            visible = set(db.session.scalars(sa.select(Challenge.id).where(
                Challenge.id.in_(ids), Challenge.state.notin_((ChallengeState.draft, ChallengeState.pending_review)))))
        missing = [i for i in ids if i not in visible]
        if missing:
            fields["challenge_ids"] = f"榜单编号 {missing[0]} 不存在或尚未发布"
    if fields:
        raise ValidationFailed(fields=fields)
    for key in ("title", "description", "venue", "starts_at", "ends_at", "registration_deadline", "capacity"):
        setattr(event, key, values[key])
    event.kind = EventKind(values["kind"])
    event.requires_approval = bool(values.get("requires_approval"))
    event.challenge_rows = [EventChallenge(challenge_id=i) for i in ids]


def create_event(actor, values):
    """An admin or a department drafts an event; it is public only once published."""
    if actor.role not in (Role.admin, Role.department):
        raise NotAllowed("只有管理员或委办局用户可以创建活动")
    event = Event(organiser_org_id=actor.organisation_id, created_by_id=actor.id, state=EventState.draft)
    _apply_values(event, values)  # before add: its checks query, and a half-filled row must not autoflush
    db.session.add(event)
    db.session.flush()
    record(actor, "event.create", event, after=_snapshot(event))
    return event


def update_event(actor, event, values):
    """Edit a draft; once published the registrations rely on what was announced."""
    _require_organiser(actor, event)
    if event.state != EventState.draft:
        raise Conflict(f"活动状态为“{event.state.label}”，只有草稿可以修改")
    before = _snapshot(event)
    _apply_values(event, values)
    db.session.flush()
    record(actor, "event.update", event, before=before, after=_snapshot(event))
    return event


def publish_event(actor, event):
    _require_organiser(actor, event)
    if event.state == EventState.draft and event.registration_deadline <= utcnow():
        raise Conflict("报名截止时间已过，请先修改活动时间")
    before = {"state": event.state}
    event.state = EVENT_MACHINE.target(event.state, "publish")
    event.published_at = utcnow()
    db.session.flush()
    record(actor, "event.publish", event, before=before, after={"state": event.state})
    events.event_published.send(event, actor=actor)
    return event


def cancel_event(actor, event, *, reason):
    """Cancel with a reason; everyone registered or waiting is told."""
    _require_organiser(actor, event)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "请填写取消原因"})
    event = lock_event(event.id)
    before = {"state": event.state}
    event.state = EVENT_MACHINE.target(event.state, "cancel")
    event.cancel_reason = reason
    event.cancelled_at = utcnow()
    db.session.flush()
    record(actor, "event.cancel", event, before=before, after={"state": event.state, "reason": reason})
    live = [r for r in event.registrations if r.state in LIVE_STATES]
    events.event_cancelled.send(event, actor=actor, registrations=live)
    return event


# --- seats ------------------------------------------------------------------------------------

def lock_event(event_id):
    """The event row, locked until commit: seat counting happens under this lock."""
    return db.session.scalars(sa.select(Event).where(Event.id == event_id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def seats_taken(event) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Registration.attendees), 0)).where(
        Registration.event_id == event.id, Registration.state.in_(SEATED_STATES))) or 0


def seats_left(event) -> int:
    return max(0, event.capacity - seats_taken(event))


def _move(actor, registration, action, audit_actor=None):
    before = {"state": registration.state}
    registration.state = REGISTRATION_MACHINE.target(registration.state, action)
    db.session.flush()
    record(audit_actor or actor, f"event_registration.{action}", registration, before=before,
           after={"state": registration.state, "attendees": registration.attendees})
    return registration


def register(actor, event, *, attendees, note=""):
    """A provider registers its organisation with 1–5 attendees: a seat if they all fit (pending
    when the event needs approval), else the waitlist. One registration per organisation;
    none after the registration deadline."""
    if actor.role != Role.provider or actor.organisation_id is None:
        raise NotAllowed("只有服务商可以报名活动")
    if not isinstance(attendees, int) or not 1 <= attendees <= MAX_ATTENDEES:
        raise ValidationFailed(fields={"attendees": f"参加人数为 1–{MAX_ATTENDEES} 人"})
    event = lock_event(event.id)
    if event.state != EventState.published:
        raise Conflict(f"活动状态为“{event.state.label}”，不能报名")
    if utcnow() >= event.registration_deadline:
        raise Conflict("报名已截止")
    existing = db.session.scalar(sa.select(Registration.id).where(
        Registration.event_id == event.id, Registration.organisation_id == actor.organisation_id,
        Registration.state.in_(LIVE_STATES)))
    if existing is not None:
        raise Conflict("贵单位已报名本活动，如需调整人数请先取消原报名")
    if attendees <= seats_left(event):
        state = R.pending if event.requires_approval else R.registered
    else:
        state = R.waitlisted
    registration = Registration(event_id=event.id, organisation_id=actor.organisation_id, registered_by_id=actor.id,
                                attendees=attendees, note=(note or "").strip()[:500], state=state)
    db.session.add(registration)
    db.session.flush()
    record(actor, "event_registration.create", registration,
           after={"state": state, "attendees": attendees, "event_id": event.id})
    events.registration_created.send(registration, actor=actor)
    return registration


def _promote_one(actor, event):
    """Give freed seats to the first waitlisted registration that fits (exactly one)."""
    left = seats_left(event)
    for candidate in db.session.scalars(sa.select(Registration).where(
            Registration.event_id == event.id, Registration.state == R.waitlisted).order_by(Registration.id)):
        if candidate.attendees <= left:
            _move(actor, candidate, "promote_for_review" if event.requires_approval else "promote")
            events.registration_promoted.send(candidate, actor=actor)
            return candidate
    return None


def cancel_registration(actor, registration):
    """The registrant cancels; its seats go to the first waitlisted registration that fits.
    Returns the promoted registration, if any."""
    if actor.role != Role.provider or actor.organisation_id != registration.organisation_id:
        raise NotAllowed("只能取消本单位的报名")
    event = lock_event(registration.event_id)
    if event.state != EventState.published:
        raise Conflict(f"活动状态为“{event.state.label}”，不能取消报名")
    held_seats = registration.state in SEATED_STATES
    _move(actor, registration, "cancel")
    registration.cancelled_at = utcnow()
    events.registration_cancelled.send(registration, actor=actor)
    if held_seats and not event.is_past():
        return _promote_one(actor, event)
    return None


def approve_registration(actor, registration):
    _require_organiser(actor, registration.event)
    lock_event(registration.event_id)
    _move(actor, registration, "approve")
    events.registration_decided.send(registration, actor=actor)
    return registration


def reject_registration(actor, registration):
    """Not admitted: its seats go to the first waitlisted registration that fits."""
    _require_organiser(actor, registration.event)
    event = lock_event(registration.event_id)
    _move(actor, registration, "reject")
    events.registration_decided.send(registration, actor=actor)
    if not event.is_past():
        _promote_one(actor, event)
    return registration


def check_in(actor, registration):
    """At the door: a confirmed registration is signed in once."""
    _require_organiser(actor, registration.event)
    if registration.event.state != EventState.published:
        raise Conflict("活动已取消，不能签到")
    _move(actor, registration, "check_in")
    registration.checked_in_at = utcnow()
    return registration


def remind_upcoming_events(now=None):
    """The day before: tell every confirmed or pending registrant of an event starting within the
    next 24 hours, once (reminded_at is set by a conditional update, so two runs, even
    concurrent ones, never remind twice). Returns the number reminded."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Registration).join(Event, Event.id == Registration.event_id).where(
            Event.state == EventState.published, Event.starts_at > now, Event.starts_at <= now + REMINDER_WINDOW,
            Registration.state.in_((R.registered, R.pending)), Registration.reminded_at.is_(None))
        .order_by(Registration.id)).all()
    count = 0
    for registration in due:
        claimed = db.session.execute(sa.update(Registration).where(
            Registration.id == registration.id, Registration.reminded_at.is_(None)).values(reminded_at=now))
        if claimed.rowcount != 1:
            continue
        db.session.refresh(registration)
        record(None, "event_registration.remind", registration, after={"event_id": registration.event_id})
        events.event_reminder.send(registration, actor=None)
        count += 1
    return count
