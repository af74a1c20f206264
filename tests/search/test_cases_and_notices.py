"""Best-practice cases and result notices are searchable once public, and only while public."""

from decimal import Decimal

import sqlalchemy as sa

from marketplace.cases.operations import publish_case
from marketplace.challenges import operations as challenge_ops
from marketplace.extensions import db
from marketplace.notices import operations as notice_ops
from marketplace.notices.models import Notice
from marketplace.projects import operations as project_ops
from marketplace.projects.states import ProjectStage
from marketplace.review import operations as review_ops
from marketplace.search.query import search
from tests import factories
from tests.projects.conftest import walk
from tests.search.conftest import keys


def test_a_published_case_is_found_by_its_outcomes(admin):
    department = factories.create_user("department")
    _org, provider, _app = factories.create_provider(admin=admin)
    project = project_ops.create_project(department, title="社区食堂数字化", domain="养老",
                                         approved_budget_yuan=Decimal("300000"), provider_id=provider.organisation_id)
    db.session.commit()
    assert search("助餐").total == 0
    walk(project, department, admin, ProjectStage.operation)
    case = publish_case(admin, project, summary="社区食堂接入为老服务一键通", outcomes="老人助餐排队时间缩短一半",
                        replication="各街道可复制助餐点改造清单")
    db.session.commit()
    result = search("助餐", type="case")
    assert keys(result) == [("case", case.id)]
    assert result.items[0].url == f"/cases/{case.id}"


def _notice_ready(admin):
    """A closed challenge, one round scored and closed: the notice is published."""
    from tests.review.conftest import round_plan

    department = factories.create_user("department")
    providers = [factories.create_provider(domains=("医疗",), admin=admin, name=name)
                 for name in ("上海数智医联科技有限公司", "上海健康云数据服务有限公司")]
    evaluators = [factories.create_user("evaluator") for _ in range(3)]
    from datetime import timedelta

    from marketplace.challenges.models import Challenge
    from marketplace.core.db import utcnow
    from marketplace.submissions import operations as submission_ops

    challenge = challenge_ops.create_challenge(department, {
        "title": "互联网医院进养老机构", "domain": "医疗", "description": "远程问诊。", "pain_points": "",
        "outcomes": "就诊往返减少", "budget_yuan": Decimal("500000"), "deadline": utcnow() + timedelta(days=1),
        "required_domains": ["医疗"], "race_slots": 1, "min_submissions": 1, "notice_days": 5, "contact": "",
        "rounds": [round_plan()]})
    challenge_ops.submit_for_review(department, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    for _org, user, _app in providers:
        submission_ops.submit_entry(user, challenge, summary="方案", technical_plan="正文",
                                    price_yuan=Decimal("400000"), timeline="3 个月")
    db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id)
                       .values(deadline=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    db.session.refresh(challenge)
    challenge_ops.close_if_due(challenge)
    round_ = challenge.rounds[0]
    review_ops.set_panel(admin, round_, [e.id for e in evaluators])
    review_ops.open_round(admin, round_)
    for evaluator in evaluators:
        review_ops.sign_declaration(evaluator, round_, conflict_provider_ids=[])
        scores = [{"submission_id": e.submission_id, "criterion_id": c.id,
                   "points": str(c.max_points * (0.8 if e.submission.provider.name.startswith("上海健康云") else 0.5)),
                   "comment": "依据评分细则"}
                  for e in review_ops.entries_for(review_ops.membership(evaluator, round_)) for c in round_.criteria]
        review_ops.save_sheet(evaluator, round_, scores)
        review_ops.submit_sheet(evaluator, round_)
    review_ops.close_round(admin, round_)  # results for review: the panel signs, the admin publishes
    for evaluator in evaluators:
        review_ops.sign_report(evaluator, round_)
    review_ops.publish_round(admin, round_)
    db.session.commit()
    return challenge, providers


def test_a_notice_is_found_while_public_and_gone_when_withdrawn(admin):
    challenge, providers = _notice_ready(admin)
    found = search("健康云", type="notice")
    assert keys(found) == [("notice", challenge.id)]
    assert found.items[0].url == f"/challenges/{challenge.id}/notice"
    loser = providers[0][1]
    objection = notice_ops.lodge_objection(loser, challenge, reason="评分有误")
    db.session.commit()
    notice_ops.resolve_objection(admin, objection, decision="upheld", note="复核发现计分错误", scope="round",
                                 panel_note="请复核计分")
    db.session.commit()
    assert db.session.scalar(sa.select(Notice.withdrawn_at)) is not None
    assert search("健康云", type="notice").total == 0


def _text(snippet):
    import re

    return re.sub(r"<[^>]+>", "", str(snippet))  # without the highlighting


def _awarded(admin):
    """The notice of _notice_ready, its period over, finalized: 上海健康云 is awarded."""
    from datetime import timedelta

    from marketplace.core.db import utcnow

    challenge, providers = _notice_ready(admin)
    notice = notice_ops.current_notice(challenge)
    notice.published_at = utcnow() - timedelta(days=30)  # time passes: the notice period is over
    notice.ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    notice_ops.finalize(admin, challenge)
    db.session.commit()
    return challenge, providers


def test_a_notice_superseded_by_a_substitute_leaves_the_index(admin):
    challenge, _providers = _awarded(admin)
    before = search("健康云", type="notice")
    assert keys(before) == [("notice", challenge.id)] and "挂帅单位：上海健康云" in _text(before.items[0].snippet)
    # 递补: the winner withdraws; the old notice is superseded, a new one proposes the runner-up.
    notice_ops.withdraw_winner(admin, challenge, reason="主动放弃挂帅资格", cause="withdrawn")
    db.session.commit()
    old, new = db.session.scalars(sa.select(Notice).where(Notice.challenge_id == challenge.id).order_by(Notice.id))
    assert old.superseded_at is not None and new.superseded_at is None
    found = search("数智医联", type="notice")
    assert keys(found) == [("notice", challenge.id)]
    snippet = _text(found.items[0].snippet)
    assert "拟挂帅单位：上海" in snippet and "健康云数据服务有限公司。" not in snippet  # the substitute's notice only

    # A superseded notice is never a document of its own, whatever the order of the rows: with
    # the new notice superseded too (its winner also gone) nothing of the challenge is left.
    new.superseded_at = new.published_at
    db.session.commit()
    assert search("数智医联", type="notice").total == 0 and search("健康云", type="notice").total == 0
    from marketplace.search.documents import DOC_TYPES, load_notices

    assert load_notices(db.session, [challenge.id]) == {}
    assert challenge.id not in list(DOC_TYPES["notice"].all_ids(db.session))
