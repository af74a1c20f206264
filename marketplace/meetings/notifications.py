"""Who is told what about events: registrants of their seat, waitlist place, promotion, the
organiser's decision, the cancellation and the day-before reminder; the organiser of new
registrations awaiting approval."""

from marketplace.accounts.models import Role
from marketplace.core.timeutil import format_datetime
from marketplace.meetings import events
from marketplace.meetings.states import RegistrationState
from marketplace.notifications.operations import admins, notify, organisation_users

R = RegistrationState


def _link(event):
    return f"/events/{event.id}"


def _when(event):
    return f"{format_datetime(event.starts_at)}（北京时间），地点：{event.venue}"


def _registrants(registration):
    return organisation_users(registration.organisation_id)


def _organisers(event):
    if event.organiser_org_id is None:
        return admins()
    return [u for u in organisation_users(event.organiser_org_id) if u.role == Role.department]


@events.registration_created.connect
def _created(registration, actor=None, **_):
    event = registration.event
    if registration.state == R.waitlisted:
        notify(_registrants(registration), "event.waitlisted", "活动名额已满，已进入候补",
               f"“{event.title}”名额已满，贵单位（{registration.attendees} 人）已列入候补，有名额空出时将按报名先后递补并通知您。",
               link=_link(event))
    elif registration.state == R.pending:
        notify(_registrants(registration), "event.pending", "活动报名待主办方审核",
               f"已收到贵单位对“{event.title}”的报名（{registration.attendees} 人），审核通过后通知您。", link=_link(event))
        notify(_organisers(event), "event.pending_review", "有新的活动报名待审核",
               f"{registration.organisation.name} 报名了“{event.title}”（{registration.attendees} 人）。",
               link=f"/events/{event.id}/registrations")
    else:
        notify(_registrants(registration), "event.registered", "活动报名成功",
               f"贵单位已报名“{event.title}”（{registration.attendees} 人），时间 {_when(event)}。", link=_link(event))


@events.registration_promoted.connect
def _promoted(registration, actor=None, **_):
    event = registration.event
    if registration.state == R.pending:
        body = f"“{event.title}”有名额空出，贵单位的候补报名已转为待审核，审核通过后通知您。"
    else:
        body = f"“{event.title}”有名额空出，贵单位的候补报名已转为正式报名（{registration.attendees} 人），时间 {_when(event)}。"
    notify(_registrants(registration), "event.promoted", "候补报名已递补", body, link=_link(event))


@events.registration_decided.connect
def _decided(registration, actor=None, **_):
    event = registration.event
    if registration.state == R.registered:
        notify(_registrants(registration), "event.approved", "活动报名已通过审核",
               f"贵单位对“{event.title}”的报名已通过，时间 {_when(event)}。", link=_link(event))
    else:
        notify(_registrants(registration), "event.rejected", "活动报名未通过审核",
               f"很抱歉，贵单位对“{event.title}”的报名未通过主办方审核。", link=_link(event))


@events.event_cancelled.connect
def _cancelled(event, actor=None, registrations=(), **_):
    users = [u for r in registrations for u in organisation_users(r.organisation_id)]
    notify(users, "event.cancelled", "活动已取消", f"“{event.title}”已取消。原因：{event.cancel_reason}",
           link=_link(event))


@events.event_reminder.connect
def _reminder(registration, actor=None, **_):
    event = registration.event
    notify(_registrants(registration), "event.reminder", "活动明天举行",
           f"贵单位报名的“{event.title}”将于 {_when(event)} 举行，请准时签到。", link=_link(event))


