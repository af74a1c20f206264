"""工作台 (issue 16 item 1): every role lands on its to-do workbench; counts built through the real
operations, scoped to the user's own unit, counted with a fixed number of queries."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.challenges import operations as challenge_ops
from marketplace.core.db import utcnow
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.main.workbench import workbench_for
from marketplace.matching import operations as matching_ops
from marketplace.needs import operations as need_ops
from marketplace.notices import operations as notice_ops
from marketplace.notifications.models import Notification
from marketplace.projects import operations as project_ops
from marketplace.projects.models import Milestone
from marketplace.projects.states import ProjectStage
from marketplace.review import operations as review_ops
from tests import factories
from tests.conftest import login
from tests.main.conftest import declare, open_first_round, score
from tests.needs.conftest import need_values
from tests.projects.conftest import pdf
from tests.review.conftest import round_plan
from tests.review.pages.conftest import page, submit, visible

S = ProjectStage


def counts(user):
    return {q.key: q.count for q in workbench_for(user)}


def challenge_values(**overrides):
    values = {
        "title": "为老服务一键通", "domain": "养老", "description": "老人一键呼叫。", "pain_points": "",
        "outcomes": "响应时间缩短一半", "budget_yuan": Decimal("500000.00"), "deadline": utcnow() + timedelta(days=20),
        "required_domains": ["养老"], "race_slots": 1, "min_submissions": 1, "notice_days": 5, "contact": "",
        "rounds": [round_plan()],
    }
    values.update(overrides)
    return values


def published_challenge(department, admin, **overrides):
    challenge = challenge_ops.create_challenge(department, challenge_values(**overrides))
    challenge_ops.submit_for_review(department, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    db.session.commit()
    return challenge


def to_notice(w):
    """Everyone scores, the round closes, the panel signs, the admin publishes: the notice runs."""
    round_ = open_first_round(w)
    for evaluator in w.evaluators:
        score(round_, evaluator)
    review_ops.close_round(w.admin, round_)
    for evaluator in w.evaluators:
        review_ops.sign_report(evaluator, round_)
    review_ops.publish_round(w.admin, round_)
    db.session.commit()
    return round_


@pytest.mark.parametrize("role", ["admin", "department", "provider", "evaluator"])
def test_every_role_lands_on_its_workbench_linked_first_in_the_header(client, role):
    user = factories.create_user(role)
    response = login(client, user)
    assert response.headers["Location"].endswith("/workbench")
    body = page(client, "/workbench")
    nav = body[body.index('<ul class="navbar-nav me-auto">'):]
    first_link = re.search(r'<a class="nav-link[^"]*" href="([^"]+)"', nav).group(1)
    assert first_link == "/workbench"
    assert "<h1" in body and "工作台" in body
    # Nothing is waiting for a new account: every queue says so in Chinese.
    assert "暂无待办" in visible(body)
    assert client.get("/login").headers["Location"].endswith("/workbench")


def test_department_header_keeps_its_queues_under_one_menu(client, department_user):
    login(client, department_user)
    body = page(client, "/workbench")
    nav = body[body.index('<ul class="navbar-nav me-auto">'):body.index('role="search"')]
    top_level = re.findall(r'<li class="nav-item(?: dropdown)?">', nav)
    assert len(top_level) <= 9  # was 11: the unit's four queues are one 本单位业务 menu
    assert "本单位业务" in nav
    for href in ("/dept/challenges", "/challenges/new", "/projects", "/dept/needs"):
        assert f'href="{href}"' in body[body.index("<main"):]  # also on the workbench itself


def test_admin_counts(world, dept, make_project):
    w = world(n_providers=2, n_evaluators=3)
    round_ = open_first_round(w)
    score(round_, w.evaluators[0])
    declare(round_, w.evaluators[1])
    # A challenge waiting for review, an application, a need, a 立项 gate waiting for the admin.
    other = factories.create_user("department")
    pending = challenge_ops.create_challenge(other, challenge_values())
    challenge_ops.submit_for_review(other, pending)
    factories.create_provider(state="applied", admin=w.admin)
    need_ops.submit_need(other, need_values())
    db.session.commit()
    project = make_project(S.approval)
    project_ops.add_document(dept[1], project, stage=S.approval, title="立项批复",
                             upload=pdf())
    project_ops.advance_project(dept[1], project, to_stage="procurement")
    db.session.commit()
    assert project.stage == S.approval
    make_project(S.acceptance, title="智慧工地监管")
    make_project(S.build, title="已在建设的项目")

    got = counts(w.admin)
    assert got == {"challenges": 1, "gates": 2, "objections": 0, "rounds_close": 0, "rounds_review": 0, "late": 2,
                   "applications": 1, "needs": 1}

    # The late evaluator queue names the two who still owe the round, with what they owe.
    from marketplace.main.workbench import late_evaluators

    [group] = late_evaluators()
    assert group["round_id"] == round_.id and group["due_at"] == round_.opened_at + timedelta(days=7)
    assert {(m["name"], m["owes"]) for m in group["members"]} == {
        (w.evaluators[1].name, "评分表未提交"), (w.evaluators[2].name, "尚未签署回避声明")}

    for evaluator in w.evaluators[1:]:
        score(round_, evaluator, declare_first=evaluator is w.evaluators[2])
    assert counts(w.admin)["rounds_close"] == 1 and counts(w.admin)["late"] == 0
    review_ops.close_round(w.admin, round_)
    review_ops.sign_report(w.evaluators[0], round_)
    db.session.commit()
    got = counts(w.admin)
    assert got["rounds_close"] == 0 and got["rounds_review"] == 1 and got["late"] == 2  # two signatures owed
    for evaluator in w.evaluators[1:]:
        review_ops.sign_report(evaluator, round_)
    db.session.commit()
    assert counts(w.admin)["rounds_review"] == 1 and counts(w.admin)["late"] == 0  # ready to publish
    review_ops.publish_round(w.admin, round_)
    db.session.commit()
    assert w.challenge.state.value == "notice"
    notice_ops.lodge_objection(w.providers[1][1], w.challenge, reason="评分标准执行不一致")
    db.session.commit()
    got = counts(w.admin)
    assert got["rounds_review"] == 0 and got["objections"] == 1


def test_department_counts_are_its_own(world, dept, make_project, provider, admin):
    department = dept[1]
    draft = challenge_ops.create_challenge(department, challenge_values(title="数字小区"))
    returned = challenge_ops.create_challenge(department, challenge_values(title="社区云"))
    challenge_ops.submit_for_review(department, returned)
    challenge_ops.return_challenge(admin, returned, reason="预算依据不足")
    db.session.commit()
    live = published_challenge(department, admin, title="智慧菜场", domain="医疗", required_domains=["医疗"])
    challenge_ops.ask_question(provider[1], live, text="是否需要对接医保系统？")
    challenge_ops.ask_question(provider[1], live, text="数据接口由谁提供？")
    answered = challenge_ops.ask_question(provider[1], live, text="试点范围？")
    challenge_ops.answer_question(department, answered, text="两家社区医院。")
    db.session.commit()

    make_project(S.application, title="申报中的项目")  # its gate waits for the department
    build = make_project(S.build, title="建设中的项目")
    milestone = project_ops.add_milestone(department, build, title="系统上线", due_date=today_shanghai() + timedelta(days=3),
                                          owner_id=provider[1].id)
    late = project_ops.add_milestone(department, build, title="数据对接", due_date=today_shanghai(),
                                     owner_id=provider[1].id)
    project_ops.submit_report(provider[1], milestone, percent=40, narrative="完成部署")
    db.session.commit()
    # Time passes: the second milestone's due date is behind us.
    db.session.execute(sa.update(Milestone).where(Milestone.id == late.id)
                       .values(due_date=today_shanghai() - timedelta(days=2)))
    db.session.commit()

    need = need_ops.submit_need(department, need_values())
    need_ops.return_need(admin, need, note="请补充受益人数")
    db.session.commit()

    got = counts(department)
    assert got == {"drafts": 2, "questions": 2, "gates": 1, "reports": 1, "overdue": 1, "needs": 1, "notices": 0}
    queues = {q.key: q for q in workbench_for(department)}
    assert [r.text for r in queues["drafts"].rows] == ["社区云", "数字小区"]  # returned first, with its reason
    assert "预算依据不足" in queues["drafts"].rows[0].note and queues["drafts"].rows[1].url.endswith(f"/{draft.id}/edit")
    assert "已逾期 2 天" in queues["overdue"].rows[0].note

    # Another unit sees none of it.
    other = factories.create_user("department")
    assert set(counts(other).values()) == {0}

    # A notice running for the world's department.
    w = world(n_providers=2, n_evaluators=3)
    to_notice(w)
    assert counts(w.department)["notices"] == 1
    assert counts(department)["notices"] == 0


def test_provider_counts(world, dept, make_project, provider, admin):
    org, user = provider  # admitted for 医疗
    department = dept[1]
    soon = published_challenge(department, admin, title="院内导航", domain="医疗", required_domains=["医疗"],
                               deadline=utcnow() + timedelta(days=3))
    entered = published_challenge(department, admin, title="医疗收费电子票据", domain="医疗", required_domains=["医疗"],
                                  deadline=utcnow() + timedelta(days=5))
    published_challenge(department, admin, title="养老的榜单", deadline=utcnow() + timedelta(days=2))  # not its domain
    published_challenge(department, admin, title="远期的榜单", domain="医疗", required_domains=["医疗"],
                        deadline=utcnow() + timedelta(days=30))  # not within 7 days
    from marketplace.submissions import operations as submission_ops

    submission_ops.submit_entry(user, entered, summary="方案", technical_plan="正文", price_yuan=Decimal("100000.00"),
                                timeline="3 个月")
    matching_ops.invite_providers(department, soon, [org.id])
    db.session.commit()

    build = make_project(S.build)
    first = project_ops.add_milestone(department, build, title="系统上线", due_date=today_shanghai() + timedelta(days=3),
                                      owner_id=user.id)
    project_ops.add_milestone(department, build, title="运行满月", due_date=today_shanghai() + timedelta(days=40),
                              owner_id=user.id)
    report = project_ops.submit_report(user, first, percent=50, narrative="部署完成")
    project_ops.return_report(department, report, reason="缺少测试报告")
    db.session.commit()

    got = counts(user)
    assert got == {"deadlines": 2, "invitations": 1, "returned_reports": 1, "milestones": 1, "results": 0}
    deadlines = next(q for q in workbench_for(user) if q.key == "deadlines")
    assert [r.text for r in deadlines.rows] == ["院内导航", "医疗收费电子票据"]
    assert "尚未揭榜" in deadlines.rows[0].note and "已揭榜" in deadlines.rows[1].note

    # Reporting again clears the returned report; opening the invitation clears it too.
    project_ops.submit_report(user, first, percent=60, narrative="已补测试报告")
    [invitation] = matching_ops.invite_providers(department, entered, [org.id])
    db.session.commit()
    assert counts(user)["returned_reports"] == 0 and counts(user)["invitations"] == 2
    matching_ops.open_invitation(user, invitation)
    db.session.commit()
    assert counts(user)["invitations"] == 1

    # Results: an entrant of a challenge in its notice period.
    w = world(n_providers=2, n_evaluators=3)
    to_notice(w)
    assert counts(w.providers[0][1])["results"] == 1
    assert counts(user)["results"] == 0


def test_evaluator_counts(world, create_user):
    w = world(n_providers=2, n_evaluators=3)
    me = w.evaluators[0]
    assert set(counts(me).values()) == {0}
    round_ = open_first_round(w)
    assert counts(me) == {"sheets": 0, "declarations": 1, "reports": 0, "acceptances": 0}
    declare(round_, me)
    got = counts(me)
    assert got == {"sheets": 1, "declarations": 0, "reports": 0, "acceptances": 0}
    sheets = next(q for q in workbench_for(me) if q.key == "sheets")
    assert "评分期限" in sheets.rows[0].note and sheets.rows[0].url == f"/review/rounds/{round_.id}"
    for evaluator in w.evaluators:
        score(round_, evaluator, declare_first=evaluator is not me)
    review_ops.close_round(w.admin, round_)
    db.session.commit()
    assert counts(me) == {"sheets": 0, "declarations": 0, "reports": 1, "acceptances": 0}
    review_ops.sign_report(me, round_)
    db.session.commit()
    assert counts(me)["reports"] == 0
    assert counts(create_user("evaluator"))["reports"] == 0


def _statements(fn):
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return len(seen)


def test_counts_take_a_fixed_number_of_queries(world, app):
    """No query per item: the same number of statements with one late round or two."""
    w = world(n_providers=2, n_evaluators=3)
    open_first_round(w)
    with app.test_request_context():
        db.session.expire_all()
        small = _statements(lambda: workbench_for(w.admin))
        small_evaluator = _statements(lambda: workbench_for(w.evaluators[0]))
    w2 = world(n_providers=3, n_evaluators=4)
    open_first_round(w2)
    for _ in range(3):
        factories.create_provider(state="applied", admin=w.admin)
    with app.test_request_context():
        db.session.expire_all()
        assert _statements(lambda: workbench_for(w.admin)) == small
        assert _statements(lambda: workbench_for(w.evaluators[0])) == small_evaluator


def test_admin_reminds_late_evaluators_from_the_workbench(world, browser):
    w = world(n_providers=2, n_evaluators=3)
    round_ = open_first_round(w)
    score(round_, w.evaluators[0])
    admin = browser(w.admin)
    body = page(admin, "/workbench")
    assert f'action="/workbench/rounds/{round_.id}/remind"' in body
    late = [str(e.id) for e in w.evaluators[1:]]
    response = submit(admin, f"/workbench/rounds/{round_.id}/remind", {"evaluator_ids": late}, page_url="/workbench")
    assert response.status_code == 200 and "已提醒 2 名专家" in visible(response.get_data(as_text=True))
    notes = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "round.reminder")).all()
    assert sorted(notes) == sorted(e.id for e in w.evaluators[1:])
    body = page(admin, "/workbench")
    assert "已于" in body and "小时内已提醒过" in body  # the boxes are disabled until the interval passes
    again = submit(admin, f"/workbench/rounds/{round_.id}/remind", {"evaluator_ids": late[:1]}, page_url="/workbench")
    assert again.status_code == 409
    assert "12 小时内不再重复提醒" in visible(again.get_data(as_text=True))
    done = submit(admin, f"/workbench/rounds/{round_.id}/remind", {"evaluator_ids": [str(w.evaluators[0].id)]},
                  page_url="/workbench")
    assert done.status_code == 422 and "无需提醒" in visible(done.get_data(as_text=True))
    # Nobody else may remind.
    dept = browser(w.department)
    response = submit(dept, f"/workbench/rounds/{round_.id}/remind", {"evaluator_ids": late}, page_url="/workbench")
    assert response.status_code in (403, 404)
    assert len(notes) == 2 == db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                                 .where(Notification.kind == "round.reminder"))


def test_an_evaluator_conflicted_with_every_entry_owes_no_sheet(world):
    """回避 with every entry: nothing to score, done for the round (as close_round counts it): not
    among the late evaluators, not in the evaluator's own sheets to finish, and the round shows as
    ready to close once the others have submitted."""
    w = world(n_providers=2, n_evaluators=3)
    round_ = open_first_round(w)
    everyone, partly, scorer = w.evaluators
    review_ops.sign_declaration(everyone, round_, conflict_provider_ids=[org.id for org, _, _ in w.providers])
    review_ops.sign_declaration(partly, round_, conflict_provider_ids=[w.providers[0][0].id])
    db.session.commit()
    assert review_ops.conflicted_with_all(review_ops.require_membership(everyone, round_))
    assert not review_ops.conflicted_with_all(review_ops.require_membership(partly, round_))

    from marketplace.main.workbench import late_evaluators

    [group] = late_evaluators()
    assert {(m["name"], m["owes"]) for m in group["members"]} == {
        (partly.name, "评分表未提交"), (scorer.name, "尚未签署回避声明")}
    assert counts(w.admin)["late"] == 2
    assert counts(everyone) == {"sheets": 0, "declarations": 0, "reports": 0, "acceptances": 0}
    assert counts(partly)["sheets"] == 1

    score(round_, partly, declare_first=False)
    score(round_, scorer)
    got = counts(w.admin)
    assert got["late"] == 0 and got["rounds_close"] == 1
    review_ops.close_round(w.admin, round_)  # the workbench agrees with the operation
    db.session.commit()
    assert counts(w.admin)["late"] == 3  # now every member owes the report's signature
