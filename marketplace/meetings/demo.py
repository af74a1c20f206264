"""Demo events and invitations: an upcoming matchmaking meeting, an upcoming roadshow that is
full with a waitlist, a past contest with check-ins, an organiser's draft; and a department that
invited two recommended providers to its challenge (one has opened the invitation).

Called at the end of `marketplace.demo.seed`. Idempotent: recognised by the first event's title.
Events and registrations go through the real operations while they are in the future; the past
contest is then moved back in time (demo only), as the passing of time would move it.
"""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.challenges.models import Challenge
from marketplace.challenges.states import ChallengeState
from marketplace.core.timeutil import SHANGHAI, today_shanghai
from marketplace.extensions import db
from marketplace.matching import operations as matching_ops
from marketplace.matching import queries as matching_queries
from marketplace.meetings import operations as ops
from marketplace.meetings.models import Event

CARE = "为老服务一键通：独居老人紧急呼叫与助餐助浴联动"
CLINIC = "便捷就医服务2.0：区属医院门诊智能分诊导诊与院内导航"
GOVERNANCE = "一网统管：城市运行体征智能识别算法（占道经营、垃圾满溢、非机动车乱停放）"

# title, kind, organiser email, days from today, start hour, hours, venue, capacity, approval,
# linked challenge titles, [(provider slug, attendees)], final state
EVENTS = [
    ("智慧养老场景供需对接会", "matchmaking", "mzj@demo.gov.cn", 6, 14, 3, "区民政局 2 楼多功能厅", 12, False,
     [CARE], [("yikang", 3), ("jiankangyun", 2)], "published",
     "区民政局介绍“为老服务一键通”等养老场景需求，入库服务商现场交流方案，每家不超过 5 人。"),
    ("便捷就医服务2.0 揭榜方案路演", "roadshow", "wjw@demo.gov.cn", 9, 9, 4, "区卫生健康委 报告厅（名额有限）", 6, False,
     [CLINIC], [("yilian", 3), ("jiankangyun", 3), ("yuntu", 2), ("anlan", 1)], "published",
     "揭榜单位现场路演智能分诊导诊方案，区属医院信息科参加。名额已满时报名进入候补，按先后递补。"),
    ("2026 数字治理创新大赛（初赛）", "contest", "admin@demo.gov.cn", -20, 13, 5, "区科技园创新中心", 60, True,
     [GOVERNANCE], [("yuntu", 4), ("anlan", 3)], "past",
     "面向一网统管场景的算法创新大赛初赛，评委现场打分。"),
    ("年度应用场景开放日（筹备中）", "matchmaking", "dsj@demo.gov.cn", 30, 9, 6, "区大数据中心", 200, False,
     [], [], "draft", "全年场景需求集中发布与对接，议程确定后发布。"),
]


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _at(days, hour):
    day = today_shanghai() + timedelta(days=abs(days) if days < 0 else days)
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI).astimezone(UTC)


def _challenge_ids(titles):
    return list(db.session.scalars(sa.select(Challenge.id).where(
        Challenge.title.in_(titles), Challenge.state != ChallengeState.draft)))


def seed_events(admin):
    if db.session.scalar(sa.select(Event.id).where(Event.title == EVENTS[0][0])) is not None:
        return
    for (title, kind, organiser_email, days, hour, hours, venue, capacity, approval, challenges, registrations,
         final, description) in EVENTS:
        organiser = _user(organiser_email)
        starts = _at(days, hour)
        event = ops.create_event(organiser, {
            "title": title, "kind": kind, "starts_at": starts, "ends_at": starts + timedelta(hours=hours),
            "venue": venue, "capacity": capacity, "registration_deadline": starts - timedelta(days=1),
            "requires_approval": approval, "description": description, "challenge_ids": _challenge_ids(challenges)})
        if final == "draft":
            continue
        ops.publish_event(organiser, event)
        made = [ops.register(_user(f"{slug}@demo-provider.cn"), event, attendees=n, note="")
                for slug, n in registrations]
        if final == "past":
            for registration in made:
                ops.approve_registration(organiser, registration)
                ops.check_in(organiser, registration)
            # demo only: created |days| ahead (operations refuse the past), then moved to |days| ago
            shift = timedelta(days=2 * abs(days))
            event.starts_at -= shift
            event.ends_at -= shift
            event.registration_deadline -= shift
        db.session.flush()
    _seed_invitations()


def _seed_invitations():
    challenge = db.session.scalar(sa.select(Challenge).where(Challenge.title == CLINIC))
    if challenge is None or challenge.state != ChallengeState.published:
        return
    department = _user("wjw@demo.gov.cn")
    top = [m.organisation.id for m in matching_queries.matches(challenge)[:2]]
    invitations = matching_ops.invite_providers(department, challenge, top)
    if invitations:
        opener = db.session.scalar(sa.select(User).where(User.organisation_id == invitations[0].provider_id))
        matching_ops.open_invitation(opener, invitations[0])
    db.session.flush()
