"""Pilot evidence (试点佐证) files for the mid-term and final rounds: the attachments of a racer's
confirmed progress reports are listed next to its entry and served to the evaluators who may see
the entry — under neutral names in a blind round, never to a conflicted evaluator, never for an
unconfirmed report, never outside an open round (404)."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.projects import operations as project_ops
from marketplace.projects.models import Project
from tests import factories
from tests.conftest import login, make_client
from tests.projects.conftest import pdf
from tests.review.conftest import round_plan
from tests.review.test_evaluation_api import _close_and_publish, _open, _score
from tests.review.test_race import _ranked


def _race(world, as_user, blind):
    w = world(n_providers=3, n_evaluators=3, race_slots=2, notice_days=0,
              rounds=[round_plan("方案评审", blind=True), round_plan("终期评审", blind=blind)])
    first, final = [r.id for r in w.rounds]
    order = [s.id for s in w.submissions]
    _open(as_user, w, first)
    for evaluator in w.evaluators:
        _score(as_user, first, evaluator, _ranked(order))
    _close_and_publish(as_user, w, first)
    pilot = db.session.scalar(sa.select(Project).where(Project.submission_id == order[0]))
    org, racer, _ = w.providers[0]
    milestone = pilot.milestones[0]
    confirmed = project_ops.submit_report(racer, milestone, percent=50, narrative="部署过半", indicators="准确率 90%",
                                          uploads=[pdf(f"{org.name}部署报告.pdf")])
    project_ops.confirm_report(w.department, confirmed)
    pending = project_ops.submit_report(racer, milestone, percent=80, narrative="待确认",
                                        uploads=[pdf(f"{org.name}待确认.pdf")])
    db.session.commit()
    [kept] = project_ops.report_files(confirmed)
    [unconfirmed] = project_ops.report_files(pending)
    return w, final, org, kept, unconfirmed


def _web(app, user):
    client = make_client(app)
    if user is not None:
        login(client, user)
    return client


def test_evaluators_read_confirmed_pilot_evidence_under_the_entry_rules(world, as_user, app):
    w, final, org, kept, unconfirmed = _race(world, as_user, blind=True)
    plain, conflicted, late = w.evaluators
    _open(as_user, w, final)
    url = f"/files/{kept.id}"
    # Before the declaration nobody on the panel reads it.
    assert _web(app, plain).get(url).status_code == 404
    assert as_user(plain).post(f"/rounds/{final}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    assert as_user(conflicted).post(f"/rounds/{final}/declaration",
                                    json={"conflict_provider_ids": [org.id]}).status_code == 200

    reader = _web(app, plain)
    got = reader.get(url)
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    disposition = got.headers["Content-Disposition"]
    assert f"附件-{kept.id}.pdf" in disposition or "%E9%99%84%E4%BB%B6" in disposition  # neutral, blind round
    assert org.name not in disposition and "%E4%B8%8A%E6%B5%B7" not in disposition
    assert reader.get(f"/files/{unconfirmed.id}").status_code == 404  # not confirmed by the department
    # Listed next to the entry, neutral name, no provider name anywhere on the sheet.
    sheet = reader.get(f"/review/rounds/{final}").get_data(as_text=True)
    assert 'data-testid="pilot-evidence-files"' in sheet and f"附件-{kept.id}.pdf" in sheet
    assert f'/files/{kept.id}"' in sheet and f"/files/{unconfirmed.id}" not in sheet
    assert org.name not in sheet
    entries = as_user(plain).get(f"/rounds/{final}/entries").json["items"]
    files = [f for e in entries if e["pilot"] for m in e["pilot"]["milestones"] for r in m["reports"] for f in r["files"]]
    assert [(f["id"], f["name"]) for f in files] == [(kept.id, f"附件-{kept.id}.pdf")]

    # Conflicted with that racer: neither listed nor served.
    other = _web(app, conflicted)
    assert other.get(url).status_code == 404
    assert f"/files/{kept.id}" not in other.get(f"/review/rounds/{final}").get_data(as_text=True)
    # Not declared yet, outside the panel, another racer, anonymous: 404.
    assert _web(app, late).get(url).status_code == 404
    outsider = factories.create_user("evaluator", name="局外专家")
    db.session.commit()
    assert _web(app, outsider).get(url).status_code == 404
    assert _web(app, w.providers[1][1]).get(url).status_code == 404
    assert _web(app, None).get(url).status_code == 404
    # The project's own people keep the original name.
    own = _web(app, w.providers[0][1]).get(url)
    assert own.status_code == 200 and "%E9%83%A8%E7%BD%B2" in own.headers["Content-Disposition"]  # 部署

    # Once the round is no longer open, the panel reads nothing.
    _score(as_user, final, late, lambda e, c: c["max_points"] / 2)
    for evaluator in (plain, conflicted):  # declared above
        client = as_user(evaluator)
        entries = client.get(f"/rounds/{final}/entries").json["items"]
        criteria = client.get(f"/rounds/{final}").json["criteria"]
        scores = [{"submission_id": e["id"], "criterion_id": c["id"], "points": str(c["max_points"] / 2),
                   "comment": "理由充分"} for e in entries for c in criteria]
        assert client.put(f"/rounds/{final}/sheet", json={"scores": scores}).status_code == 200
        assert client.post(f"/rounds/{final}/sheet/submit").status_code == 200
    assert as_user(w.admin).post(f"/rounds/{final}/close").status_code == 200
    assert reader.get(url).status_code == 404


def test_open_round_shows_real_names_of_evidence(world, as_user, app):
    w, final, org, kept, _ = _race(world, as_user, blind=False)
    _open(as_user, w, final)
    evaluator = w.evaluators[0]
    assert as_user(evaluator).post(f"/rounds/{final}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    reader = _web(app, evaluator)
    assert reader.get(f"/files/{kept.id}").status_code == 200
    assert kept.name in reader.get(f"/review/rounds/{final}").get_data(as_text=True)
