"""API: 供需对接 (matches, invitations, recommendations) and events (路演、供需对接会、创新大赛)."""

from flask import Response, current_app

from marketplace.api import api_user, endpoint, json_body, paged
from marketplace.challenges.models import Challenge
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.forms import validate_json
from marketplace.core.pagination import page_args
from marketplace.core.permissions import require
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db
from marketplace.matching import operations as matching_ops
from marketplace.matching import permissions as matching_permissions
from marketplace.matching import queries as matching_queries
from marketplace.matching.forms import InviteForm
from marketplace.matching.models import Invitation
from marketplace.meetings import exports
from marketplace.meetings import operations as meeting_ops
from marketplace.meetings import permissions as meeting_permissions
from marketplace.meetings import queries as meeting_queries
from marketplace.meetings.forms import CancelEventForm, EventForm, RegistrationForm
from marketplace.meetings.models import Event, Registration

MATCHING = "供需对接"
EVENTS = "活动"


def _paged_list(items):
    """A computed list (ranked in Python, not by SQL) in the documented list envelope."""
    page, per_page = page_args(20)
    start = (page - 1) * per_page
    return {"items": items[start:start + per_page], "total": len(items), "page": page, "per_page": per_page}


def _reasons(reasons):
    return [{"factor": r.factor, "detail": r.detail, "points": r.points} for r in reasons]


def _challenge(challenge_id):
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not matching_permissions.can_view_matches(api_user(), challenge):
        raise NotFound()
    return challenge


def invitation_json(invitation, entered=None):
    data = {"id": invitation.id, "challenge_id": invitation.challenge_id, "provider_org_id": invitation.provider_id,
            "provider_name": invitation.provider.name, "status": invitation.state.value,
            "invited_at": isoformat(invitation.created_at), "opened_at": isoformat(invitation.opened_at)}
    if entered is not None:
        data["entered"] = entered
    return data


@endpoint("/challenges/<int:challenge_id>/matches", roles=["department", "admin"], tag=MATCHING,
          summary="推荐服务商：可揭榜的服务商及其方案，按得分排列，附每项理由（得分为理由分数之和）")
def challenge_matches(challenge_id):
    challenge = _challenge(challenge_id)
    return _paged_list([{
        "provider_org_id": m.organisation.id, "name": m.organisation.name, "score": m.score,
        "reasons": _reasons(m.reasons),
        "solutions": [{"id": s.id, "title": s.title, "similarity": score} for s, score in m.solutions],
    } for m in matching_queries.matches(challenge)])


@endpoint("/challenges/<int:challenge_id>/invitations", ["POST"], roles=["department"], form=InviteForm,
          tag=MATCHING, summary="创建邀请：邀请可揭榜的服务商（发榜单位），被邀请单位的用户收到通知", success=201)
def create_invitations(challenge_id):
    challenge = _challenge(challenge_id)
    require(matching_permissions.can_invite(api_user(), challenge))
    body = json_body()
    ids = body.get("provider_org_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValidationFailed(fields={"provider_org_ids": "请给出服务商单位编号的列表"})
    created = matching_ops.invite_providers(api_user(), challenge, ids)
    return {"items": [invitation_json(i) for i in created]}, 201


@endpoint("/challenges/<int:challenge_id>/invitations", roles=["department", "admin"], tag=MATCHING,
          summary="本榜单的邀请：是否已查看、是否已揭榜")
def list_invitations(challenge_id):
    challenge = _challenge(challenge_id)
    return _paged_list([invitation_json(i, entered)
                        for i, entered in matching_queries.invitations_of_challenge(challenge)])


@endpoint("/me/recommendations", roles=["provider"], tag=MATCHING,
          summary="为我推荐：本单位可揭榜的已发布榜单，按得分排列，附理由")
def my_recommendations():
    user = api_user()
    return _paged_list([{
        "challenge_id": r.challenge.id, "title": r.challenge.title, "domain": r.challenge.domain,
        "deadline": isoformat(r.challenge.deadline), "score": r.score, "reasons": _reasons(r.reasons),
        "invitation_id": r.invitation.id if r.invitation else None,
    } for r in matching_queries.recommendations(user.organisation_id)])


@endpoint("/me/invitations", roles=["provider"], tag=MATCHING, summary="本单位收到的邀请")
def my_invitations():
    return _paged_list([invitation_json(i) for i in matching_queries.invitations_of_provider(api_user().organisation_id)])


@endpoint("/invitations/<int:invitation_id>/open", ["POST"], roles=["provider"], tag=MATCHING,
          summary="查看邀请（发榜单位可见已查看）")
def open_invitation(invitation_id):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not matching_permissions.can_view_invitation(api_user(), invitation):
        raise NotFound()
    return invitation_json(matching_ops.open_invitation(api_user(), invitation))


# --- events -----------------------------------------------------------------------------------

def event_json(event):
    data = {"id": event.id, "title": event.title, "kind": event.kind.value, "status": event.state.value,
            "starts_at": isoformat(event.starts_at), "ends_at": isoformat(event.ends_at), "venue": event.venue,
            "capacity": event.capacity, "seats_left": meeting_queries.seats_left(event),
            "registration_deadline": isoformat(event.registration_deadline),
            "requires_approval": event.requires_approval, "description": event.description,
            "organiser_org_id": event.organiser_org_id, "challenge_ids": event.challenge_ids,
            "published_at": isoformat(event.published_at)}
    if event.cancel_reason:
        data["cancel_reason"] = event.cancel_reason
    return data


def registration_json(registration):
    return {"id": registration.id, "event_id": registration.event_id, "organisation_id": registration.organisation_id,
            "organisation_name": registration.organisation.name, "attendees": registration.attendees,
            "note": registration.note, "status": registration.state.value,
            "waitlist_position": meeting_queries.waitlist_position(registration),
            "registered_at": isoformat(registration.created_at), "checked_in_at": isoformat(registration.checked_in_at)}


def _event(event_id):
    event = db.session.get(Event, event_id)
    if event is None or not meeting_permissions.can_view_event(api_user(), event):
        raise NotFound()
    return event


def _managed(event_id):
    event = _event(event_id)
    require(meeting_permissions.can_manage_event(api_user(), event))
    return event


def _registration(registration_id):
    registration = db.session.get(Registration, registration_id)
    if registration is None or not meeting_permissions.can_view_registration(api_user(), registration):
        raise NotFound()
    return registration


def _event_form(body):
    form = validate_json(EventForm, body)
    form.challenge_ids.choices = []
    return form


@endpoint("/events", ["POST"], roles=["admin", "department"], form=EventForm, tag=EVENTS,
          summary="创建活动（管理员、委办局），状态为 draft", success=201)
def create_event():
    form = _event_form(json_body())
    return event_json(meeting_ops.create_event(api_user(), form.values())), 201


@endpoint("/events", auth=False, tag=EVENTS, query={"when": "upcoming（默认）或 past"},
          summary="活动列表（公开：已发布的活动）")
def list_events():
    from flask import request

    when = "past" if request.args.get("when") == "past" else "upcoming"
    return paged(meeting_queries.public_query(when), event_json)


@endpoint("/events/<int:event_id>", auth=False, tag=EVENTS, summary="活动详情（含剩余名额 seats_left）")
def get_event(event_id):
    return event_json(_event(event_id))


@endpoint("/events/<int:event_id>", ["PATCH"], roles=["admin", "department"], form=EventForm, tag=EVENTS,
          summary="修改草稿活动")
def update_event(event_id):
    event = _managed(event_id)
    form = _event_form(json_body())
    return event_json(meeting_ops.update_event(api_user(), event, form.values()))


@endpoint("/events/<int:event_id>/publish", ["POST"], roles=["admin", "department"], tag=EVENTS, summary="发布活动")
def publish_event(event_id):
    return event_json(meeting_ops.publish_event(api_user(), _managed(event_id)))


@endpoint("/events/<int:event_id>/cancel", ["POST"], roles=["admin", "department"], form=CancelEventForm,
          tag=EVENTS, summary="取消活动（报名单位收到通知）")
def cancel_event(event_id):
    event = _managed(event_id)
    form = validate_json(CancelEventForm, json_body())
    return event_json(meeting_ops.cancel_event(api_user(), event, reason=form.reason.data))


@endpoint("/events/<int:event_id>/registrations", ["POST"], roles=["provider"], form=RegistrationForm, tag=EVENTS,
          summary="创建报名（服务商）：名额已满时进入候补", success=201)
def create_registration(event_id):
    event = _event(event_id)
    form = validate_json(RegistrationForm, json_body())
    registration = meeting_ops.register(api_user(), event, attendees=form.attendees.data, note=form.note.data or "")
    return registration_json(registration), 201


@endpoint("/events/<int:event_id>/registrations", roles=["admin", "department"], tag=EVENTS,
          summary="报名名单（主办方）")
def list_registrations(event_id):
    event = _managed(event_id)
    return _paged_list([registration_json(r) for r in meeting_queries.registrations(event)])


@endpoint("/events/<int:event_id>/registrations.xlsx", roles=["admin", "department"], tag=EVENTS,
          summary="签到表（XLSX，主办方）")
def registrations_xlsx(event_id):
    event = _managed(event_id)
    return Response(exports.sign_in_xlsx(event, meeting_queries.registrations(event)),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=event-{event.id}-sign-in.xlsx"})


@endpoint("/events/<int:event_id>.ics", auth=False, tag=EVENTS, summary="活动日历文件（iCalendar）")
def event_calendar(event_id):
    event = _event(event_id)
    return Response(exports.event_ics(event, current_app.config.get("PUBLIC_BASE_URL", "")),
                    mimetype="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=event-{event.id}.ics"})


@endpoint("/registrations/<int:registration_id>", roles=["provider", "admin", "department"], tag=EVENTS,
          summary="报名详情")
def get_registration(registration_id):
    return registration_json(_registration(registration_id))


@endpoint("/registrations/<int:registration_id>/cancel", ["POST"], roles=["provider"], tag=EVENTS,
          summary="取消报名：空出的名额递补给第一个人数合适的候补")
def cancel_registration(registration_id):
    registration = _registration(registration_id)
    meeting_ops.cancel_registration(api_user(), registration)
    return registration_json(registration)


@endpoint("/registrations/<int:registration_id>/approve", ["POST"], roles=["admin", "department"], tag=EVENTS,
          summary="通过报名（需审核的活动）")
def approve_registration(registration_id):
    return registration_json(meeting_ops.approve_registration(api_user(), _registration(registration_id)))


@endpoint("/registrations/<int:registration_id>/reject", ["POST"], roles=["admin", "department"], tag=EVENTS,
          summary="驳回报名（名额递补给候补）")
def reject_registration(registration_id):
    return registration_json(meeting_ops.reject_registration(api_user(), _registration(registration_id)))


@endpoint("/registrations/<int:registration_id>/check-in", ["POST"], roles=["admin", "department"], tag=EVENTS,
          summary="现场签到（主办方）")
def check_in(registration_id):
    return registration_json(meeting_ops.check_in(api_user(), _registration(registration_id)))
