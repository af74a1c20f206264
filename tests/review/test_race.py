"""The horse race (赛马) through the real operations and the API: three racers get pilot projects
with the unified milestones, report and are paid on them, the mid-term round eliminates the last
(its pilot ends, settled), the final round and the notice pick the winner, and the award turns the
winner's pilot into the main project (same id) while the other pilot closes."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.projects.models import Project
from tests.review.conftest import RACE_MILESTONES, round_plan
from tests.review.test_evaluation_api import _close_and_publish, _open, _score


def _ranked(order):
    """Marks that rank the entries in `order` (submission ids, best first)."""
    def points(entry, criterion):
        position = order.index(entry["id"]) if entry["id"] in order else len(order)
        return Decimal(criterion["max_points"]) * (Decimal("0.9") - Decimal("0.1") * position)
    return points


def _pilot(submission_id):
    return db.session.scalar(sa.select(Project).where(Project.submission_id == submission_id))


def test_the_whole_race_from_pilots_to_the_main_project(world, as_user, api, client):
    w = world(n_providers=4, n_evaluators=3, race_slots=3, notice_days=0, budget="1000000.00",
              prices=["800000.00", "790000.00", "780000.00", "770000.00"], rounds=[
                  round_plan("方案评审", blind=True), round_plan("中期评审", advance_top=2, blind=True), round_plan("终期评审")])
    first, midterm, final = [r.id for r in w.rounds]
    subs = [s.id for s in w.submissions]
    challenge_id = w.challenge.id
    assert api().get(f"/challenges/{challenge_id}/race").status_code == 404  # no race yet

    _open(as_user, w, first)
    for evaluator in w.evaluators:
        _score(as_user, first, evaluator, _ranked(subs))
    _close_and_publish(as_user, w, first)

    # The race started: one pilot project per racer, the fourth entry is out.
    assert as_user(w.admin).get(f"/challenges/{challenge_id}").json["status"] == "racing"
    racers = subs[:3]
    pilots = [_pilot(s) for s in racers]
    assert _pilot(subs[3]) is None
    started = today_shanghai()
    for pilot, (org, _user, _app) in zip(pilots, w.providers, strict=False):
        assert pilot.kind.value == "pilot" and pilot.challenge_id == challenge_id and pilot.provider_id == org.id
        assert pilot.stage.value == "application" and pilot.approved_fen == 10_000_000  # 100 000 yuan each
        assert [(m.title, m.due_date, m.evidence) for m in pilot.milestones] == [
            (m["title"], started + timedelta(days=m["due_days"]), m["evidence"]) for m in RACE_MILESTONES]
    # Public once racing; the proposal round was blind, so the public sees no provider until the notice.
    public = api().get(f"/challenges/{challenge_id}/race")
    assert public.status_code == 200, public.json
    assert public.json["status"] == "racing" and public.json["names_public"] is False
    assert [(r["status"], r["milestones_done"], r["milestones_total"]) for r in public.json["racers"]] == [
        ("racing", 0, 2)] * 3
    assert {r["provider_org_id"] for r in public.json["racers"]} == {None}
    assert {r["submission_id"] for r in public.json["racers"]} == {None}
    page = client.get(f"/challenges/{challenge_id}").get_data(as_text=True)
    assert page.count('data-testid="racer-row"') == 3 and "赛马团队 A" in page and "试点中" in page
    assert not any(org.name in page for org, _u, _a in w.providers)
    inside = as_user(w.department).get(f"/challenges/{challenge_id}/race").json
    assert [r["submission_id"] for r in inside["racers"]] == racers
    assert [r["project_id"] for r in inside["racers"]] == [p.id for p in pilots]

    # Racer A reports on its first milestone with measured indicators; the department confirms.
    racer_a = as_user(w.providers[0][1])
    project_a = racer_a.get(f"/projects/{pilots[0].id}").json
    assert project_a["kind"] == "pilot" and project_a["budget"]["approved_yuan"] == "100000.00"
    milestone = project_a["milestones"][0]
    assert milestone["evidence"] == RACE_MILESTONES[0]["evidence"]
    report = racer_a.post(f"/milestones/{milestone['id']}/reports",
                          json={"percent": 100, "narrative": "三个试点点位部署完成", "indicators": "分诊准确率 91%"})
    assert report.status_code == 201, report.json
    assert as_user(w.department).post(f"/reports/{report.json['id']}/confirm").status_code == 200
    # Pilot payments against the pilot budget, never above it.
    dept = as_user(w.department)
    assert dept.post(f"/projects/{pilots[0].id}/payments", json={"amount_yuan": "30000.00"}).status_code == 201
    assert dept.post(f"/projects/{pilots[2].id}/payments", json={"amount_yuan": "10000.00"}).status_code == 201
    over = dept.post(f"/projects/{pilots[2].id}/payments", json={"amount_yuan": "95000.00"})
    assert over.status_code == 422 and "amount_yuan" in over.json["error"]["fields"]
    assert api().get(f"/challenges/{challenge_id}/race").json["racers"][0]["milestones_done"] == 1

    # Mid-term: racer C is last and is eliminated; its pilot ends with the reason and the settlement.
    _open(as_user, w, midterm)
    for evaluator in w.evaluators:
        entries = _score(as_user, midterm, evaluator, _ranked(racers))
        assert {e["id"] for e in entries} == set(racers)
    # Evaluators saw each racer's pilot evidence next to the entry, without a provider name.
    evidence = {e["id"]: e["pilot"] for e in entries}
    assert evidence[racers[0]]["milestones_done"] == 1 and evidence[racers[1]]["milestones_done"] == 0
    confirmed = evidence[racers[0]]["milestones"][0]["reports"]
    assert [(r["percent"], r["indicators"]) for r in confirmed] == [(100, "分诊准确率 91%")]
    assert not any(org.name in str(entries) for org, _u, _a in w.providers)
    from tests.conftest import login, make_client

    web = make_client(client.application)
    login(web, w.evaluators[0])
    sheet = web.get(f"/review/rounds/{midterm}").get_data(as_text=True)
    assert sheet.count('data-testid="pilot-evidence"') == 3 and "实测指标：分诊准确率 91%" in sheet
    assert not any(org.name in sheet for org, _u, _a in w.providers)
    _close_and_publish(as_user, w, midterm)
    db.session.expire_all()
    ended = _pilot(racers[2])
    assert ended.stage.value == "terminated" and "末位淘汰" in ended.status_reason
    assert "试点经费已付 10,000.00 元" in ended.status_reason
    assert [_pilot(s).stage.value for s in racers[:2]] == ["application", "application"]
    told = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == w.providers[2][1].id, Notification.kind == "round.eliminated")).all()
    assert len(told) == 1 and "末位淘汰" in told[0].body
    race = api().get(f"/challenges/{challenge_id}/race").json
    assert [r["status"] for r in race["racers"]] == ["racing", "racing", "eliminated"]
    assert "末位淘汰" in race["racers"][2]["ended_reason"] and race["racers"][2]["ended_at"]

    # Final round, notice, award: the winner's pilot is the main project, same id, no duplicate.
    _open(as_user, w, final)
    for evaluator in w.evaluators:
        _score(as_user, final, evaluator, _ranked(racers))
    _close_and_publish(as_user, w, final)
    assert as_user(w.admin).get(f"/challenges/{challenge_id}").json["project_id"] is None
    awarded = as_user(w.admin).post(f"/challenges/{challenge_id}/finalize")
    assert awarded.status_code == 200, awarded.json
    db.session.expire_all()
    projects = db.session.scalars(sa.select(Project).where(Project.challenge_id == challenge_id)
                                  .order_by(Project.id)).all()
    assert [p.id for p in projects] == [p.id for p in pilots]
    winner, loser, out = projects
    assert winner.kind.value == "main" and winner.stage.value == "application"
    assert winner.approved_fen == 80_000_000 and winner.paid_fen == 3_000_000  # the pilot's payments stay
    assert not winner.title.endswith("（试点）")
    assert loser.kind.value == "pilot" and loser.stage.value == "terminated" and "结清" in loser.status_reason
    detail = api().get(f"/challenges/{challenge_id}").json
    assert detail["status"] == "awarded" and detail["project_id"] == winner.id
    race = api().get(f"/challenges/{challenge_id}/race").json
    assert race["names_public"] is True
    assert [(r["status"], r["provider_org_id"]) for r in race["racers"]] == [
        ("winner", w.providers[0][0].id), ("eliminated", w.providers[1][0].id), ("eliminated", w.providers[2][0].id)]
    assert as_user(w.admin).get(f"/projects/{winner.id}").json["kind"] == "main"
    page = client.get(f"/challenges/{challenge_id}").get_data(as_text=True)
    assert "胜出（挂帅）" in page and w.providers[0][0].name in page and "末位淘汰（中期评审）" in page


def test_a_challenge_without_a_race_carries_its_project_id(world, as_user, api):
    w = world(n_providers=2, n_evaluators=3, notice_days=0)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, _ranked([s.id for s in w.submissions]))
    _close_and_publish(as_user, w, round_id)
    assert as_user(w.admin).post(f"/challenges/{w.challenge.id}/finalize").status_code == 200
    project = db.session.scalar(sa.select(Project).where(Project.challenge_id == w.challenge.id))
    assert project.kind.value == "main"
    assert api().get(f"/challenges/{w.challenge.id}").json["project_id"] == project.id
    assert api().get(f"/challenges/{w.challenge.id}/race").status_code == 404
