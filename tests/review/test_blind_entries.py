"""A blind round hides everything that names a provider from its evaluators: the organisation,
the file names, and the free-text team (项目团队), in the API and on the pages."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.submissions.models import Submission
from tests.conftest import login, make_client
from tests.review.conftest import round_plan

TEAM = "项目经理：张三（上海智联信息科技有限公司）"


def _open_blind_round(world, as_user, blind=True):
    w = world(n_providers=2, rounds=[round_plan(blind=blind)])
    # Set-up only: the team text as the provider typed it before the deadline.
    db.session.execute(sa.update(Submission).where(Submission.id == w.submissions[0].id).values(team=TEAM))
    db.session.commit()
    round_id = w.rounds[0].id
    panel = [e.id for e in w.evaluators[:3]]
    assert as_user(w.admin).post(f"/rounds/{round_id}/panel", json={"evaluator_ids": panel}).status_code == 200
    assert as_user(w.admin).post(f"/rounds/{round_id}/open").status_code == 200
    evaluator = w.evaluators[0]
    assert as_user(evaluator).post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    return w, round_id, evaluator


def test_blind_round_hides_the_team_from_evaluators(app, world, as_user):
    w, round_id, evaluator = _open_blind_round(world, as_user)
    entries = as_user(evaluator).get(f"/rounds/{round_id}/entries").json
    assert entries["items"] and "上海智联" not in str(entries)
    assert all("team" not in item for item in entries["items"])
    detail = as_user(evaluator).get(f"/submissions/{w.submissions[0].id}").json
    assert "team" not in detail and "上海智联" not in str(detail)

    web = make_client(app)
    login(web, evaluator)
    for url in (f"/submissions/{w.submissions[0].id}", f"/review/rounds/{round_id}"):
        response = web.get(url)
        assert response.status_code == 200 and "上海智联" not in response.get_data(as_text=True), url

    # The provider itself, the admin and the department still read it.
    owner = w.providers[0][1]
    assert as_user(owner).get(f"/submissions/{w.submissions[0].id}").json["team"] == TEAM
    assert as_user(w.admin).get(f"/submissions/{w.submissions[0].id}").json["team"] == TEAM


def test_an_open_round_shows_the_team(world, as_user):
    w, round_id, evaluator = _open_blind_round(world, as_user, blind=False)
    detail = as_user(evaluator).get(f"/submissions/{w.submissions[0].id}").json
    assert detail["team"] == TEAM
