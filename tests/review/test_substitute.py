"""递补 (issue 10, Award): the awarded winner withdraws or is disqualified before the contract; the
admin records it, the winner's project ends, the next-ranked entry is put to a new notice
(objections as usual) and its award makes the substitute's project. Through the real operations
and the API; the page (confirmation form) at the end."""

from decimal import Decimal

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.challenges.models import Challenge
from marketplace.extensions import db
from marketplace.notices.models import Notice
from marketplace.notifications.models import Notification
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStage
from tests.conftest import csrf_token, login, make_client
from tests.projects.conftest import walk
from tests.review.conftest import round_plan
from tests.review.test_evaluation_api import _close_and_publish, _open, _score
from tests.review.test_race import _pilot, _ranked


def _awarded(world, as_user, **kwargs):
    """A challenge awarded to the first entry; the entries rank in their order."""
    w = world(n_evaluators=3, notice_days=0, **kwargs)
    order = [s.id for s in w.submissions]
    for round_ in w.rounds:
        _open(as_user, w, round_.id)
        for evaluator in w.evaluators:
            _score(as_user, round_.id, evaluator, _ranked(order))
        _close_and_publish(as_user, w, round_.id)
    finalized = as_user(w.admin).post(f"/challenges/{w.challenge.id}/finalize")
    assert finalized.status_code == 200, finalized.json
    return w, order


def _projects(challenge_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(Project).where(Project.challenge_id == challenge_id).order_by(Project.id)).all()


def _notes(user, kind="notice.substitute"):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                           Notification.kind == kind)).all()


def test_substitute_chain_without_a_race(world, as_user, api):
    w, order = _awarded(world, as_user, n_providers=3)
    cid = w.challenge.id
    [first_project] = _projects(cid)
    admin = as_user(w.admin)

    response = admin.post(f"/challenges/{cid}/substitute", json={"reason": "主动放弃挂帅资格", "cause": "withdrawn"})
    assert response.status_code == 200, response.json
    notice = response.json
    assert notice["status"] == "notice" and notice["open"] is True
    assert notice["proposed_winners"][0]["submission_id"] == order[1]
    assert notice["substitute"] == {"replaced_submission_id": order[0], "cause": "withdrawn", "reason": "主动放弃挂帅资格"}
    assert [r["submission_id"] for r in notice["ranking"]] == order  # the same final ranking
    assert api().get(f"/challenges/{cid}/notice").json["id"] == notice["id"]
    assert api().get(f"/challenges/{cid}").json["status"] == "notice"

    # The winner's project ended with the reason; the old notice is superseded, not withdrawn.
    db.session.expire_all()
    first_project = db.session.get(Project, first_project.id)
    assert first_project.stage == ProjectStage.terminated and "主动放弃挂帅资格" in first_project.status_reason
    notices = db.session.scalars(sa.select(Notice).where(Notice.challenge_id == cid).order_by(Notice.id)).all()
    assert len(notices) == 2 and notices[0].superseded_at is not None and notices[0].withdrawn_at is None
    assert notices[1].ends_at is None  # notice_days 0, as the challenge's
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.in_(
        ["notice.withdraw_winner", "challenge.substitute", "notice.publish_substitute", "project.terminate"]))).all()
    assert sorted(actions) == ["challenge.substitute", "notice.publish_substitute", "notice.withdraw_winner",
                               "project.terminate"]

    # One notice each: the withdrawn winner, the substitute, the third entrant and the department.
    (_o0, withdrawn_user, _), (_o1, substitute_user, _), (_o2, third_user, _) = w.providers
    assert [n.title for n in _notes(withdrawn_user)] == ["挂帅资格已取消"]
    assert [n.title for n in _notes(substitute_user)] == ["递补为拟挂帅单位"]
    assert [n.title for n in _notes(third_user)] == ["递补公示"]
    assert [n.title for n in _notes(w.department)] == ["递补公示"]
    assert "主动放弃挂帅资格" in _notes(third_user)[0].body

    # Objections work as on any notice; the award waits for them.
    third = as_user(third_user)
    lodged = third.post(f"/challenges/{cid}/objections", json={"reason": "递补单位资质存疑"})
    assert lodged.status_code == 201, lodged.json
    assert admin.post(f"/challenges/{cid}/finalize").status_code == 409
    assert admin.post(f"/objections/{lodged.json['id']}/resolve",
                      json={"decision": "dismissed", "note": "资质核实无误"}).status_code == 200
    finalized = admin.post(f"/challenges/{cid}/finalize")
    assert finalized.status_code == 200, finalized.json

    # The substitute's project: a new main project, the challenge points at it.
    projects = _projects(cid)
    assert [p.id for p in projects][0] == first_project.id and len(projects) == 2
    substitute_project = projects[1]
    assert substitute_project.kind.value == "main" and substitute_project.stage == ProjectStage.application
    assert substitute_project.provider_id == w.providers[1][0].id and substitute_project.submission_id == order[1]
    assert finalized.json["project_id"] == substitute_project.id
    assert api().get(f"/challenges/{cid}").json["project_id"] == substitute_project.id
    assert api().get(f"/challenges/{cid}/notice").json["winner"]["submission_id"] == order[1]
    assert [n.title for n in _notes(substitute_user, "challenge.awarded")] == ["恭喜挂帅"]

    # Again: the third entry. Then nobody is left → 409 with a clear message, nothing changed.
    assert admin.post(f"/challenges/{cid}/substitute", json={"reason": "被取消资格", "cause": "disqualified"}
                      ).json["proposed_winners"][0]["submission_id"] == order[2]
    assert admin.post(f"/challenges/{cid}/finalize").status_code == 200
    none_left = admin.post(f"/challenges/{cid}/substitute", json={"reason": "再次放弃"})
    assert none_left.status_code == 409 and "没有可递补的候选单位" in none_left.json["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Challenge, cid).state.value == "awarded"
    assert [p.stage.value for p in _projects(cid)] == ["terminated", "terminated", "application"]


def test_substitute_after_a_race_continues_the_closed_pilot(world, as_user, api, client):
    w, order = _awarded(world, as_user, n_providers=3, race_slots=2, rounds=[
        round_plan("方案评审", blind=True), round_plan("终期评审")])
    cid = w.challenge.id
    winner_pilot, runner_up_pilot = _pilot(order[0]), _pilot(order[1])
    assert winner_pilot.kind.value == "main" and runner_up_pilot.stage == ProjectStage.terminated

    response = as_user(w.admin).post(f"/challenges/{cid}/substitute", json={"reason": "经查投标材料造假",
                                                                            "cause": "disqualified"})
    assert response.status_code == 200, response.json
    assert response.json["proposed_winners"][0]["submission_id"] == order[1]
    assert as_user(w.admin).post(f"/challenges/{cid}/finalize").status_code == 200
    projects = _projects(cid)
    assert len(projects) == 3
    main = projects[-1]
    assert main.kind.value == "main" and main.pilot_id == runner_up_pilot.id and main.stage == ProjectStage.application
    assert main.provider_id == w.providers[1][0].id and main.approved_fen == min(
        w.submissions[1].price_fen, w.challenge.budget_fen)
    db.session.expire_all()
    assert db.session.get(Project, winner_pilot.id).stage == ProjectStage.terminated
    assert db.session.get(Project, runner_up_pilot.id).kind.value == "pilot"  # keeps its record
    assert api().get(f"/challenges/{cid}").json["project_id"] == main.id
    # The public race: the first winner withdrew, the runner-up (its pilot) won; no extra racer.
    race = api().get(f"/challenges/{cid}/race").json
    assert [(r["project_id"], r["status"]) for r in race["racers"]] == [
        (winner_pilot.id, "withdrawn"), (runner_up_pilot.id, "winner")]
    assert "经查投标材料造假" in race["racers"][0]["ended_reason"]
    page = client.get(f"/challenges/{cid}").get_data(as_text=True)
    assert page.count('data-testid="racer-row"') == 2 and "挂帅资格取消（已递补）" in page and "胜出（挂帅）" in page


def test_no_substitute_once_contracted_or_outside_an_award(world, as_user):
    w, order = _awarded(world, as_user, n_providers=2)
    cid = w.challenge.id
    admin = as_user(w.admin)
    # Not the admin, no reason, a cause that is not one.
    assert as_user(w.department).post(f"/challenges/{cid}/substitute", json={"reason": "x"}).status_code == 403
    missing = admin.post(f"/challenges/{cid}/substitute", json={"reason": ""})
    assert missing.status_code == 422 and "reason" in missing.json["error"]["fields"]
    wrong = admin.post(f"/challenges/{cid}/substitute", json={"reason": "放弃", "cause": "bored"})
    assert wrong.status_code == 422 and "cause" in wrong.json["error"]["fields"]
    # Past 招标 (建设: the contract is signed) → 409, and nothing moved.
    [project] = _projects(cid)
    walk(project, w.department, w.admin, ProjectStage.build)
    contracted = admin.post(f"/challenges/{cid}/substitute", json={"reason": "放弃"})
    assert contracted.status_code == 409 and "合同已签订" in contracted.json["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Challenge, cid).state.value == "awarded"
    assert db.session.get(Project, project.id).stage == ProjectStage.build
    assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.challenge_id == cid)) == 1
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "notice.withdraw_winner")).all()


def test_no_substitute_before_the_award(world, as_user):
    w = world(n_providers=2, n_evaluators=3, notice_days=0)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) / 2)
    _close_and_publish(as_user, w, round_id)
    during = as_user(w.admin).post(f"/challenges/{w.challenge.id}/substitute", json={"reason": "放弃"})
    assert during.status_code == 409 and "只有已挂帅的榜单可以递补" in during.json["error"]["message"]


def test_substitute_page_confirms_and_keeps_what_was_typed(world, as_user, app):
    w, order = _awarded(world, as_user, n_providers=2)
    cid = w.challenge.id
    web = make_client(app)
    login(web, w.admin)
    notice_page = web.get(f"/challenges/{cid}/notice").get_data(as_text=True)
    assert 'data-testid="substitute-link"' in notice_page
    url = f"/challenges/{cid}/substitute"
    page = web.get(url).get_data(as_text=True)
    assert w.providers[1][0].name in page and 'data-testid="substitute-candidate"' in page
    token = csrf_token(web, url)
    empty = web.post(url, data={"csrf_token": token, "cause": "disqualified", "reason": ""})
    assert empty.status_code == 200 and "请填写挂帅单位退出或被取消资格的理由" in empty.get_data(as_text=True)
    assert 'value="disqualified" id="cause-disqualified" checked' in empty.get_data(as_text=True)
    done = web.post(url, data={"csrf_token": token, "cause": "disqualified", "reason": "违反承诺"})
    assert done.status_code == 302
    body = web.get(f"/challenges/{cid}/notice").get_data(as_text=True)
    assert 'data-testid="substitute-notice"' in body and "违反承诺" in body and "被取消资格" in body
    assert web.get(url).status_code == 404  # no longer awarded
    # Not for anyone else.
    other = make_client(app)
    login(other, w.department)
    assert other.get(url).status_code in (403, 404)
    # The withdrawn winner's own entry says what happened.
    provider = make_client(app)
    login(provider, w.providers[0][1])
    assert "挂帅资格取消（已递补）" in provider.get(f"/submissions/{order[0]}").get_data(as_text=True)
