"""Every role but the admin is refused on the admin's evaluation pages and actions (403; the
anonymous visitor is sent to the login page), and nothing changes."""

import re

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.notices.models import Objection
from marketplace.review.models import EvaluationRound, EvaluatorDomain, PanelMember
from tests.review.pages.conftest import page, submit, text, visible

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(client, url):
    match = _CSRF.search(text(client.get(url)))
    assert match, url
    return match.group(1)


def _admin_requests(w, round_id, objection_id):
    evaluator_id = w.evaluators[0].id
    gets = [f"/admin/challenges/{w.challenge.id}/evaluation", "/admin/experts"]
    posts = [
        (f"/admin/rounds/{round_id}/panel", {f"r{round_id}-evaluator_ids": [str(e.id) for e in w.evaluators]}),
        (f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "3", f"d{round_id}-seed": "7"}),
        (f"/admin/rounds/{round_id}/open", {}),
        (f"/admin/rounds/{round_id}/close", {}),
        (f"/admin/rounds/{round_id}/sheets/{evaluator_id}/return", {"reason": "退回"}),
        ("/admin/experts", {"user_id": str(evaluator_id), "domains": ["养老"]}),
        (f"/objections/{objection_id}/resolve", {"decision": "upheld", "note": "成立"}),
        (f"/challenges/{w.challenge.id}/finalize", {}),
    ]
    return gets, posts


def _snapshot(w, round_id):
    round_ = db.session.get(EvaluationRound, round_id)
    return (round_.status.value, sorted(db.session.scalars(sa.select(PanelMember.evaluator_id))),
            sorted(db.session.scalars(sa.select(EvaluatorDomain.domain).where(EvaluatorDomain.user_id == w.evaluators[0].id))),
            [o.state.value for o in db.session.scalars(sa.select(Objection))])


@pytest.fixture
def noticed(world, flow):
    """A challenge in its notice period with one pending objection; a fresh second round-like
    target is not needed: every action is probed against the one round."""
    from decimal import Decimal

    w = world(n_providers=2, n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    for evaluator in w.evaluators:
        f.score(evaluator, round_id, lambda sid, c: Decimal(c.max_points) / 2)
    f.close_and_publish(round_id)
    url = f"/challenges/{w.challenge.id}/notice"
    submit(f.browser(w.providers[1][1]), f"/challenges/{w.challenge.id}/objections", {"reason": "有异议"}, page_url=url)
    objection = db.session.scalars(sa.select(Objection)).one()
    return w, f, round_id, objection.id


@pytest.mark.parametrize("role", ["provider", "department", "evaluator"])
def test_other_roles_get_403_on_every_admin_page_and_action(noticed, browser, role):
    w, f, round_id, objection_id = noticed
    person = {"provider": w.providers[1][1], "department": w.department, "evaluator": w.evaluators[0]}[role]
    client = browser(person)
    before = _snapshot(w, round_id)
    gets, posts = _admin_requests(w, round_id, objection_id)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 403, (role, url)
        assert "您没有执行此操作的权限" in visible(text(response))
    token = _csrf(client, "/notifications")
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 403, (role, url, response.status_code)
    assert _snapshot(w, round_id) == before
    # No admin controls leak into the pages this person may see.
    notice = page(client, f"/challenges/{w.challenge.id}/notice")
    assert "确认挂帅" not in notice and "/resolve" not in notice


def test_the_anonymous_visitor_is_sent_to_login(noticed, client):
    w, f, round_id, objection_id = noticed
    before = _snapshot(w, round_id)
    gets, posts = _admin_requests(w, round_id, objection_id)
    gets += ["/review", f"/review/rounds/{round_id}", f"/rounds/{round_id}/results", f"/rounds/{round_id}/results.csv"]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    token = _csrf(client, "/login")
    posts += [(f"/review/rounds/{round_id}/declaration", {}), (f"/review/rounds/{round_id}/sheet", {"action": "save"}),
              (f"/challenges/{w.challenge.id}/objections", {"reason": "匿名异议"})]
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert _snapshot(w, round_id) == before
    followed = client.get("/admin/experts", follow_redirects=True)
    assert "请先登录后再访问该页面" in text(followed)


def test_other_roles_see_no_evaluator_pages(noticed, browser):
    w, f, round_id, _ = noticed
    for person in (w.providers[0][1], w.department, w.admin):
        client = browser(person)
        assert client.get("/review").status_code == 403
        assert client.get(f"/review/rounds/{round_id}").status_code == 404
