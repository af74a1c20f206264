"""Event and registration lifecycles, one table each.

Event: draft → published → cancelled; a draft may also be cancelled (dropped).
Registration: registered (holds its seats) | pending (holds its seats, awaits the organiser's
approval) | waitlisted (holds none); pending → registered (approve) | rejected (reject);
waitlisted → registered | pending (promote, when a seat frees: pending if the event needs
approval); registered → attended (check in at the door); any live one → cancelled.
"""

from marketplace.core.enums import LabeledEnum
from marketplace.core.states import StateMachine


class EventKind(LabeledEnum):
    roadshow = "roadshow", "项目路演"
    matchmaking = "matchmaking", "供需对接会"
    contest = "contest", "创新大赛"


class EventState(LabeledEnum):
    draft = "draft", "草稿"
    published = "published", "已发布"
    cancelled = "cancelled", "已取消"


class RegistrationState(LabeledEnum):
    pending = "pending", "待审核"
    registered = "registered", "已报名"
    waitlisted = "waitlisted", "候补中"
    attended = "attended", "已签到"
    rejected = "rejected", "未通过"
    cancelled = "cancelled", "已取消"


EVENT_ACTIONS = {"publish": "发布", "cancel": "取消活动"}

E = EventState
EVENT_MACHINE = StateMachine(
    "event",
    states=set(EventState),
    actions=EVENT_ACTIONS,
    transitions={
        (E.draft, "publish"): E.published,
        (E.draft, "cancel"): E.cancelled,
        (E.published, "cancel"): E.cancelled,
    },
)

REGISTRATION_ACTIONS = {
    "approve": "通过报名",
    "reject": "不予通过",
    "promote": "候补转正",
    "promote_for_review": "候补转为待审核",
    "check_in": "签到",
    "cancel": "取消报名",
}

R = RegistrationState
REGISTRATION_MACHINE = StateMachine(
    "registration",
    states=set(RegistrationState),
    actions=REGISTRATION_ACTIONS,
    transitions={
        (R.pending, "approve"): R.registered,
        (R.pending, "reject"): R.rejected,
        (R.waitlisted, "promote"): R.registered,
        (R.waitlisted, "promote_for_review"): R.pending,
        (R.registered, "check_in"): R.attended,
        (R.pending, "cancel"): R.cancelled,
        (R.registered, "cancel"): R.cancelled,
        (R.waitlisted, "cancel"): R.cancelled,
    },
)

# These hold seats: the sum of their attendees never exceeds the event's capacity.
SEATED_STATES = (R.pending, R.registered, R.attended)
# One of these per organisation and event (a partial unique index says so too).
LIVE_STATES = (R.pending, R.registered, R.waitlisted, R.attended)
MAX_ATTENDEES = 5
