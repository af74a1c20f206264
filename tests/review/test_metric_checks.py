"""Metric criteria (issue 13): evaluators only confirm plausibility. The sheet shows each declared
value and its computed score, asks 数值可信 / 存疑 (a note required for 存疑), refuses to be
submitted until every value is checked; the admin sees the doubts in the round review and the
evaluation report lists them."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.review import operations as review_ops
from marketplace.review.models import MetricCheck
from tests.conftest import csrf_token, login, make_client
from tests.review.conftest import round_plan
from tests.review.test_templates_api import PUE, _panel_and_open, _score_judged

CRITERIA = [{"name": "技术方案", "description": "", "weight": 60, "max_points": 100},
            {"name": "设计 PUE", "description": "", "weight": 40, "max_points": 20, "kind": "metric", "formula": PUE}]


def _round(world, as_user):
    w = world(n_providers=2, n_evaluators=3, rounds=[round_plan(criteria=CRITERIA, min_panel=3)])
    round_ = w.rounds[0]
    pue = next(c for c in round_.criteria if c.kind == "metric")
    review_ops.declare_metrics(w.providers[0][1], w.submissions[0], {pue.id: "1.20"})
    review_ops.declare_metrics(w.providers[1][1], w.submissions[1], {pue.id: "1.05"})
    db.session.commit()
    _panel_and_open(as_user, w, round_.id)
    return w, round_.id, pue.id


def test_sheet_needs_every_declared_value_checked_and_doubts_reach_the_report(world, as_user, app):
    w, round_id, pue = _round(world, as_user)
    first, second = [s.id for s in w.submissions]
    doubter = as_user(w.evaluators[0])
    assert doubter.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    entries = {e["id"]: e for e in doubter.get(f"/rounds/{round_id}/entries").json["items"]}
    assert entries[first]["metric_values"] == [{"criterion_id": pue, "value": "1.20", "points": "20.00"}]
    judged = next(c["id"] for c in doubter.get(f"/rounds/{round_id}").json["criteria"] if c["kind"] == "judged")
    scores = [{"submission_id": s, "criterion_id": judged, "points": "50", "comment": ""} for s in (first, second)]

    # Scores alone: the sheet saves but cannot be submitted until each value is checked.
    assert doubter.put(f"/rounds/{round_id}/sheet", json={"scores": scores}).status_code == 200
    refused = doubter.post(f"/rounds/{round_id}/sheet/submit")
    assert refused.status_code == 422
    assert set(refused.json["error"]["fields"]) == {f"metric_checks.{first}.{pue}", f"metric_checks.{second}.{pue}"}
    # 存疑 needs a note; a made-up verdict or a judged criterion is refused.
    no_note = doubter.put(f"/rounds/{round_id}/sheet", json={"scores": scores, "metric_checks": [
        {"submission_id": second, "criterion_id": pue, "verdict": "doubtful", "note": " "}]})
    assert no_note.status_code == 422 and "metric_checks.0.note" in no_note.json["error"]["fields"]
    odd = doubter.put(f"/rounds/{round_id}/sheet", json={"scores": scores, "metric_checks": [
        {"submission_id": second, "criterion_id": pue, "verdict": "maybe"},
        {"submission_id": second, "criterion_id": judged, "verdict": "plausible"}]})
    assert odd.status_code == 422
    assert {"metric_checks.0.verdict", "metric_checks.1.criterion_id"} <= set(odd.json["error"]["fields"])
    saved = doubter.put(f"/rounds/{round_id}/sheet", json={"scores": scores, "metric_checks": [
        {"submission_id": first, "criterion_id": pue, "verdict": "plausible"},
        {"submission_id": second, "criterion_id": pue, "verdict": "doubtful", "note": "风冷机房 PUE 1.05 不可信"}]})
    assert saved.status_code == 200, saved.json
    assert [c["verdict"] for c in saved.json["metric_checks"]] == ["plausible", "doubtful"]
    assert doubter.post(f"/rounds/{round_id}/sheet/submit").status_code == 200
    for evaluator in w.evaluators[1:]:
        _score_judged(as_user, round_id, evaluator, lambda e, c: 50)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MetricCheck)) == 6

    closed = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert closed.status_code == 200, closed.json
    by_id = {e["submission_id"]: e for e in closed.json["results"]["entries"]}
    name = w.evaluators[0].name
    assert [f for f in by_id[second]["flags"] if f.startswith("申报值存疑")] == [
        f"申报值存疑：专家 {w.evaluators[0].id}（设计 PUE 1.05：风冷机房 PUE 1.05 不可信）"]
    assert not [f for f in by_id[first]["flags"] if f.startswith("申报值存疑")]
    report = as_user(w.admin).get(f"/rounds/{round_id}/report").json
    doubts = next(e for e in report["entries"] if e["submission_id"] == second)["metric_doubts"]
    assert doubts == [{"evaluator_id": w.evaluators[0].id, "criterion_id": pue, "criterion": "设计 PUE",
                       "value": "1.05", "note": "风冷机房 PUE 1.05 不可信"}]

    admin = make_client(app)
    login(admin, w.admin)
    results = admin.get(f"/rounds/{round_id}/results").get_data(as_text=True)
    assert results.count('data-testid="metric-doubt"') == 1 and f"申报值存疑：{name}" in results
    page = admin.get(f"/review/rounds/{round_id}/report").get_data(as_text=True)
    assert page.count('data-testid="report-metric-doubt"') == 1 and "风冷机房 PUE 1.05 不可信" in page


def test_the_sheet_page_shows_values_and_keeps_what_was_typed(world, as_user, app):
    w, round_id, pue = _round(world, as_user)
    first, second = [s.id for s in w.submissions]
    evaluator = w.evaluators[0]
    assert as_user(evaluator).post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    web = make_client(app)
    login(web, evaluator)
    url = f"/review/rounds/{round_id}"
    sheet = web.get(url).get_data(as_text=True)
    assert sheet.count('data-testid="metric-check"') == 2 and ">1.20<" in sheet and ">1.05<" in sheet
    assert "数值可信" in sheet and "存疑" in sheet
    judged = next(c.id for c in w.rounds[0].criteria if c.kind == "judged")
    data = {"csrf_token": csrf_token(web, url), "action": "save",
            f"p-{first}-{judged}": "50", f"p-{second}-{judged}": "50",
            f"m-{first}-{pue}": "plausible", f"m-{second}-{pue}": "doubtful", f"mn-{second}-{pue}": ""}
    bad = web.post(f"{url}/sheet", data=data)
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "标记存疑时请写明理由" in body
    assert f'id="m-{second}-{pue}-doubtful" value="doubtful" checked' in body  # kept what was typed
    data[f"mn-{second}-{pue}"] = "数值偏低"
    data["action"] = "submit"
    done = web.post(f"{url}/sheet", data=data)
    assert done.status_code == 302
    checks = {(c.submission_id, c.verdict, c.note) for c in db.session.scalars(sa.select(MetricCheck))}
    assert checks == {(first, "plausible", ""), (second, "doubtful", "数值偏低")}
