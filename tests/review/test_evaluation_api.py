"""Evaluation through the API: panels, conflicts, sheets, closing, the race, the notice, the award."""

import io
from decimal import Decimal

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.notices.models import Notice
from tests import factories
from tests.review.conftest import round_plan


def _panel(as_user, w, round_id, evaluators=None):
    evaluators = evaluators if evaluators is not None else w.evaluators
    response = as_user(w.admin).post(f"/rounds/{round_id}/panel", json={"evaluator_ids": [e.id for e in evaluators]})
    assert response.status_code == 200, response.json
    return response


def _open(as_user, w, round_id, evaluators=None):
    _panel(as_user, w, round_id, evaluators)
    response = as_user(w.admin).post(f"/rounds/{round_id}/open")
    assert response.status_code == 200, response.json
    return response


def _score(as_user, round_id, evaluator, points, conflicts=(), submit=True):
    """`points(entry, criterion) -> value`; comments given for every score."""
    client = as_user(evaluator)
    assert client.post(f"/rounds/{round_id}/declaration",
                       json={"conflict_provider_ids": list(conflicts)}).status_code == 200
    entries = client.get(f"/rounds/{round_id}/entries").json["items"]
    criteria = client.get(f"/rounds/{round_id}").json["criteria"]
    scores = [{"submission_id": e["id"], "criterion_id": c["id"], "points": str(points(e, c)), "comment": "理由充分"}
              for e in entries for c in criteria]
    response = client.put(f"/rounds/{round_id}/sheet", json={"scores": scores})
    assert response.status_code == 200, response.json
    if submit:
        response = client.post(f"/rounds/{round_id}/sheet/submit")
        assert response.status_code == 200, response.json
    return entries


def _close_and_publish(as_user, w, round_id, evaluators=None):
    """Close the scoring (results for review), every panel member signs the report, the admin publishes."""
    closed = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert closed.status_code == 200 and closed.json["status"] == "review", closed.json
    for evaluator in evaluators if evaluators is not None else w.evaluators:
        signed = as_user(evaluator).post(f"/rounds/{round_id}/report/sign", json={})
        assert signed.status_code == 200, signed.json
    published = as_user(w.admin).post(f"/rounds/{round_id}/publish")
    assert published.status_code == 200 and published.json["status"] == "closed", published.json
    return closed


def test_single_round_to_notice_and_award_creates_the_project(world, as_user, api):
    w = world(n_providers=3, n_evaluators=3, notice_days=0, budget="800000.00",
              prices=["850000.00", "700000.00", "600000.00"])
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    assert as_user(w.department).get(f"/challenges/{w.challenge.id}").json["status"] == "evaluating"
    best = w.submissions[0].id  # the first entry gets the best marks from everyone
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, lambda e, c: c["max_points"] * (Decimal("0.8") if e["id"] == best else Decimal("0.5")))
    response = _close_and_publish(as_user, w, round_id)
    results = response.json["results"]["entries"]
    assert results[0]["submission_id"] == best and results[0]["rank"] == 1 and results[0]["score"] == "80.00"
    assert [r["score"] for r in results[1:]] == ["50.00", "50.00"]
    assert as_user(w.admin).get(f"/challenges/{w.challenge.id}").json["status"] == "notice"

    notice = as_user(w.providers[1][1]).get(f"/challenges/{w.challenge.id}/notice")
    assert notice.status_code == 200
    assert notice.json["proposed_winners"][0]["submission_id"] == best
    assert notice.json["ends_at"] is None  # notice_days 0: open until the admin finalizes
    assert api().get(f"/challenges/{w.challenge.id}/notice").status_code == 200

    final = as_user(w.admin).post(f"/challenges/{w.challenge.id}/finalize")
    assert final.status_code == 200, final.json
    assert final.json["status"] == "awarded"
    project = as_user(w.admin).get(f"/projects/{final.json['project_id']}").json
    assert project["stage"] == "application"
    # Budget from the entry's price (850,000) but never above the challenge budget (800,000).
    assert project["budget"]["approved_yuan"] == "800000.00"
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"round.open", "round.sheet_submit", "round.close", "notice.publish", "challenge.award"} <= actions
    assert as_user(w.admin).get("/audit/verify").json["ok"] is True


def test_horse_race_two_rounds_with_elimination(world, as_user):
    w = world(n_providers=3, n_evaluators=3, race_slots=2, notice_days=0, rounds=[
        round_plan("方案评审"), round_plan("终期评审", criteria=[{"name": "试点成效", "description": "", "weight": 100, "max_points": 100}]),
    ])
    first, second = [r.id for r in w.rounds]
    _open(as_user, w, first)
    marks = {s.id: 90 - 10 * i for i, s in enumerate(w.submissions)}  # 90, 80, 70 (of 100 and of 10)
    for evaluator in w.evaluators:
        _score(as_user, first, evaluator, lambda e, c: Decimal(marks[e["id"]]) * c["max_points"] / 100)
    closed = _close_and_publish(as_user, w, first).json["results"]["entries"]
    assert [(r["rank"], r["advanced"]) for r in closed] == [(1, True), (2, True), (3, False)]
    assert as_user(w.admin).get(f"/challenges/{w.challenge.id}").json["status"] == "racing"
    loser_user = w.providers[2][1]
    kinds = [n["kind"] for n in as_user(loser_user).get("/notifications").json["items"]]
    assert "round.eliminated" in kinds
    racer_kinds = [n["kind"] for n in as_user(w.providers[0][1]).get("/notifications").json["items"]]
    assert "round.advanced" in racer_kinds

    _open(as_user, w, second)
    entries = _score(as_user, second, w.evaluators[0], lambda e, c: 60 if e["id"] == w.submissions[0].id else 75)
    assert {e["id"] for e in entries} == {w.submissions[0].id, w.submissions[1].id}  # the loser is out
    for evaluator in w.evaluators[1:]:
        _score(as_user, second, evaluator, lambda e, c: 60 if e["id"] == w.submissions[0].id else 75)
    final = _close_and_publish(as_user, w, second).json["results"]["entries"]
    assert final[0]["submission_id"] == w.submissions[1].id
    notice = as_user(w.admin).get(f"/challenges/{w.challenge.id}/notice").json
    assert notice["proposed_winners"][0]["submission_id"] == w.submissions[1].id


def test_an_evaluator_from_a_participating_provider_cannot_join_the_panel(world, as_user):
    w = world()
    insider = factories.create_user("evaluator", org=w.providers[0][0], name="内部专家")
    response = as_user(w.admin).post(f"/rounds/{w.rounds[0].id}/panel",
                                     json={"evaluator_ids": [w.evaluators[0].id, insider.id]})
    assert response.status_code == 409
    assert "回避" in response.json["error"]["message"]
    not_an_expert = as_user(w.admin).post(f"/rounds/{w.rounds[0].id}/panel", json={"evaluator_ids": [w.department.id]})
    assert not_an_expert.status_code == 422 and "evaluator_ids" in not_an_expert.json["error"]["fields"]


def test_open_needs_the_minimum_panel(world, as_user):
    w = world()
    _panel(as_user, w, w.rounds[0].id, w.evaluators[:2])
    response = as_user(w.admin).post(f"/rounds/{w.rounds[0].id}/open")
    assert response.status_code == 409 and "至少需要 3 人" in response.json["error"]["message"]


def test_declaration_first_and_declared_conflicts_leave_the_sheet_and_the_aggregate(world, as_user):
    w = world(n_evaluators=5, rounds=[round_plan(aggregation="trimmed_mean")])
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    before = as_user(w.evaluators[0]).get(f"/rounds/{round_id}/entries")
    assert before.status_code == 409 and before.json["error"]["code"] == "declaration_required"
    # Evaluator 0 declares a conflict with provider 0 and would have given it full marks.
    conflicted_org = w.providers[0][0].id
    entries = _score(as_user, round_id, w.evaluators[0], lambda e, c: c["max_points"], conflicts=[conflicted_org])
    assert w.submissions[0].id not in {e["id"] for e in entries}
    for evaluator in w.evaluators[1:]:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) / 2)
    results = as_user(w.admin).post(f"/rounds/{round_id}/close").json["results"]
    row = next(r for r in results["entries"] if r["submission_id"] == w.submissions[0].id)
    assert row["score"] == "50.00"  # four totals of 50: the conflicted 100 never counted
    assert row["conflicts"] == [w.evaluators[0].id]
    assert "少于 5 个" in results["note"]  # 4 totals → trimmed mean falls back to mean and says so
    other = next(r for r in results["entries"] if r["submission_id"] == w.submissions[1].id)
    assert other["score"] == "50.00"  # five totals (100, 50, 50, 50, 50): highest and lowest dropped
    assert str(w.evaluators[0].id) in other["evaluator_totals"]


def test_deviation_is_flagged(world, as_user):
    w = world(n_evaluators=3)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    _score(as_user, round_id, w.evaluators[0], lambda e, c: c["max_points"])  # 100
    for evaluator in w.evaluators[1:]:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) * Decimal("0.4"))  # 40
    rows = as_user(w.admin).post(f"/rounds/{round_id}/close").json["results"]["entries"]
    assert all(r["score"] == "60.00" and r["flags"] for r in rows)  # 100 is 40 away from 60


def test_sheet_rules_points_range_comments_lock_and_return(world, as_user):
    w = world(n_providers=1, n_evaluators=3)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    evaluator = w.evaluators[0]
    client = as_user(evaluator)
    client.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []})
    criteria = client.get(f"/rounds/{round_id}").json["criteria"]
    sid = w.submissions[0].id
    too_high = client.put(f"/rounds/{round_id}/sheet",
                          json={"scores": [{"submission_id": sid, "criterion_id": criteria[1]["id"], "points": 11}]})
    assert too_high.status_code == 422 and "scores.0.points" in too_high.json["error"]["fields"]
    for bad in (-1, "abc", "1.005", None):
        response = client.put(f"/rounds/{round_id}/sheet",
                              json={"scores": [{"submission_id": sid, "criterion_id": criteria[0]["id"], "points": bad}]})
        assert response.status_code in (200, 422)  # blank (None) is a draft gap, the rest are refused
        if bad is not None:
            assert response.status_code == 422
    foreign = client.put(f"/rounds/{round_id}/sheet",
                         json={"scores": [{"submission_id": 999999, "criterion_id": criteria[0]["id"], "points": 5}]})
    assert foreign.status_code == 422
    # A draft with one criterion missing cannot be submitted.
    client.put(f"/rounds/{round_id}/sheet", json={"scores": [
        {"submission_id": sid, "criterion_id": criteria[0]["id"], "points": "55.5", "comment": ""}]})
    assert client.get(f"/rounds/{round_id}/sheet").json["totals"][str(sid)] == "33.30"
    incomplete = client.post(f"/rounds/{round_id}/sheet/submit")
    assert incomplete.status_code == 422
    # A top-10% score needs a comment.
    client.put(f"/rounds/{round_id}/sheet", json={"scores": [
        {"submission_id": sid, "criterion_id": criteria[1]["id"], "points": 10, "comment": ""}]})
    needs_comment = client.post(f"/rounds/{round_id}/sheet/submit")
    assert needs_comment.status_code == 422 and "评语" in str(needs_comment.json["error"]["fields"])
    client.put(f"/rounds/{round_id}/sheet", json={"scores": [
        {"submission_id": sid, "criterion_id": criteria[1]["id"], "points": 10, "comment": "报价最优"}]})
    assert client.post(f"/rounds/{round_id}/sheet/submit").status_code == 200
    locked = client.put(f"/rounds/{round_id}/sheet", json={"scores": [
        {"submission_id": sid, "criterion_id": criteria[1]["id"], "points": 1, "comment": "x"}]})
    assert locked.status_code == 409
    # The admin returns it with a reason (audited); the evaluator may edit again.
    assert as_user(w.admin).post(f"/rounds/{round_id}/sheets/{evaluator.id}/return", json={}).status_code == 422
    returned = as_user(w.admin).post(f"/rounds/{round_id}/sheets/{evaluator.id}/return", json={"reason": "报价分有误"})
    assert returned.status_code == 200 and returned.json["status"] == "draft"
    assert client.get(f"/rounds/{round_id}/sheet").json["return_reason"] == "报价分有误"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "round.sheet_return")) == 1


def test_close_refuses_while_a_sheet_is_outstanding_and_results_are_hidden_until_close(world, as_user):
    w = world(n_evaluators=3)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    for evaluator in w.evaluators[:2]:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) / 2)
    _score(as_user, round_id, w.evaluators[2], lambda e, c: Decimal(c["max_points"]) / 2, submit=False)
    assert as_user(w.admin).get(f"/rounds/{round_id}/results").status_code == 409
    # Evaluators never see each other's scores: only their own sheet exists for them.
    assert as_user(w.evaluators[0]).get(f"/rounds/{round_id}/results").status_code == 404
    refused = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert refused.status_code == 409 and w.evaluators[2].name in refused.json["error"]["message"]
    progress = as_user(w.admin).get(f"/rounds/{round_id}").json["panel"]
    assert [p["sheet_status"] for p in progress] == ["submitted", "submitted", "draft"]
    assert "scores" not in str(progress)


def test_evaluators_probing_entries_they_may_not_see_get_404(world, as_user):
    w = world(n_evaluators=4)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id, w.evaluators[:3])
    outsider = w.evaluators[3]
    for submission in w.submissions:
        assert as_user(outsider).get(f"/submissions/{submission.id}").status_code == 404
    assert as_user(outsider).get(f"/rounds/{round_id}/entries").status_code == 404
    member = w.evaluators[0]
    # Before the declaration, not even a panel member sees an entry.
    assert as_user(member).get(f"/submissions/{w.submissions[0].id}").status_code == 404
    as_user(member).post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": [w.providers[1][0].id]})
    assert as_user(member).get(f"/submissions/{w.submissions[0].id}").status_code == 200
    assert as_user(member).get(f"/submissions/{w.submissions[1].id}").status_code == 404  # declared conflict
    for probe in range(max(s.id for s in w.submissions) + 1, max(s.id for s in w.submissions) + 5):
        assert as_user(member).get(f"/submissions/{probe}").status_code == 404


def test_blind_round_hides_provider_identity_and_file_names(world, as_user):
    w = world(n_providers=2, rounds=[round_plan(blind=True)])
    owner = w.providers[0][1]
    # Files were attachable only before the deadline; put one in place as it would have been.
    from werkzeug.datastructures import FileStorage

    from marketplace.files.operations import store_upload

    store_upload(owner, FileStorage(io.BytesIO(b"%PDF-1.4 provider name inside"), filename="上海某公司-方案.pdf"),
                 owner_type="submission", owner_id=w.submissions[0].id)
    db.session.commit()
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    evaluator = w.evaluators[0]
    as_user(evaluator).post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []})
    entries = as_user(evaluator).get(f"/rounds/{round_id}/entries").json
    assert entries["blind"] is True
    text = str(entries)
    for org, _user, _app in w.providers:
        assert org.name not in text
    assert "provider_org_id" not in text and "上海某公司" not in text
    assert {e["label"] for e in entries["items"]} == {"A", "B"}
    detail = as_user(evaluator).get(f"/submissions/{w.submissions[0].id}").json
    assert "provider_name" not in detail and "provider_org_id" not in detail
    file_id = detail["files"][0]["id"]
    download = as_user(evaluator).client.get(f"/api/v1/files/{file_id}", headers=as_user(evaluator)._headers())
    assert download.status_code == 200
    assert "上海某公司" not in download.headers["Content-Disposition"]


def test_random_draw_is_seeded_recorded_and_excludes_conflicts(world, as_user):
    w = world(n_evaluators=6)
    insider = factories.create_user("evaluator", org=w.providers[0][0])
    from marketplace.review.models import EvaluatorDomain

    db.session.add(EvaluatorDomain(user_id=insider.id, domain="医疗"))
    db.session.commit()
    round_id = w.rounds[0].id
    first = as_user(w.admin).post(f"/rounds/{round_id}/panel/draw", json={"size": 4, "seed": 20261122})
    assert first.status_code == 200, first.json
    drawn = sorted(p["evaluator_id"] for p in first.json["panel"])
    assert insider.id not in drawn and len(drawn) == 4
    again = as_user(w.admin).post(f"/rounds/{round_id}/panel/draw",
                                  json={"size": 4, "seed": 20261122, "reason": "复核：按原种子重放"})
    assert sorted(p["evaluator_id"] for p in again.json["panel"]) == drawn  # same seed, same panel
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "round.panel_draw")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.after["seed"] == 20261122 and insider.id not in event.after["candidates"]
    too_many = as_user(w.admin).post(f"/rounds/{round_id}/panel/draw", json={"size": 7})
    assert too_many.status_code == 409
    assert as_user(w.admin).post(f"/rounds/{round_id}/panel/draw", json={"size": "x"}).status_code == 422


def test_objections_during_notice_upheld_goes_back_to_evaluation(world, as_user):
    w = world(n_providers=2, n_evaluators=3, notice_days=5)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) * (
            Decimal("0.8") if e["id"] == w.submissions[0].id else Decimal("0.6")))
    _close_and_publish(as_user, w, round_id)
    notice = as_user(w.admin).get(f"/challenges/{w.challenge.id}/notice").json
    assert notice["ends_at"].endswith("T00:00:00+08:00")
    # Before the end of the notice the award is refused.
    early = as_user(w.admin).post(f"/challenges/{w.challenge.id}/finalize")
    assert early.status_code == 409 and "公示期" in early.json["error"]["message"]
    outsider = factories.create_provider(admin=w.admin)[1]
    assert as_user(outsider).post(f"/challenges/{w.challenge.id}/objections", json={"reason": "不公"}).status_code == 403
    loser = w.providers[1][1]
    lodged = as_user(loser).post(f"/challenges/{w.challenge.id}/objections", json={"reason": "技术方案评分有误"})
    assert lodged.status_code == 201 and lodged.json["status"] == "pending"
    assert as_user(w.providers[0][1]).get(f"/objections/{lodged.json['id']}").status_code == 404
    no_scope = as_user(w.admin).post(f"/objections/{lodged.json['id']}/resolve",
                                     json={"decision": "upheld", "note": "复核发现计分错误"})
    assert no_scope.status_code == 422 and {"scope", "panel_note"} <= set(no_scope.json["error"]["fields"])
    upheld = as_user(w.admin).post(f"/objections/{lodged.json['id']}/resolve",
                                   json={"decision": "upheld", "note": "复核发现计分错误", "scope": "round",
                                         "panel_note": "请复核技术方案一项的计分"})
    assert upheld.status_code == 200 and upheld.json["status"] == "upheld"
    assert as_user(w.admin).get(f"/challenges/{w.challenge.id}").json["status"] == "evaluating"
    assert as_user(w.admin).get(f"/rounds/{round_id}").json["status"] == "open"
    assert as_user(w.evaluators[0]).get(f"/rounds/{round_id}/sheet").json["status"] == "draft"
    assert as_user(loser).post(f"/challenges/{w.challenge.id}/objections", json={"reason": "再议"}).status_code == 409
    assert db.session.scalar(sa.select(Notice.withdrawn_at).where(Notice.challenge_id == w.challenge.id)) is not None


def test_provider_sees_own_scores_only_after_the_notice(world, as_user):
    w = world(n_providers=2, n_evaluators=3, notice_days=0)
    round_id = w.rounds[0].id
    _open(as_user, w, round_id)
    provider = w.providers[0][1]
    assert as_user(provider).get(f"/rounds/{round_id}/results").status_code == 404
    for evaluator in w.evaluators:
        _score(as_user, round_id, evaluator, lambda e, c: Decimal(c["max_points"]) / 2)
    _close_and_publish(as_user, w, round_id)
    own = as_user(provider).get(f"/rounds/{round_id}/results")
    assert own.status_code == 200
    assert [e["provider_org_id"] for e in own.json["entries"]] == [w.providers[0][0].id]
    department = as_user(w.department).get(f"/rounds/{round_id}/results")
    assert department.status_code == 200 and len(department.json["entries"]) == 2
    other_department = factories.create_user("department")
    assert as_user(other_department).get(f"/rounds/{round_id}/results").status_code == 404
