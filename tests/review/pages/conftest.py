"""Helpers for the evaluation pages (issue 4): one logged-in browser per person, forms
submitted with the page's own CSRF token, and shortcuts that take a round to where a test
starts. The challenge with its entries and evaluators comes from tests/review's `world`."""

import html
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db, limiter
from tests.conftest import login
from tests.review.conftest import World, round_plan, world  # noqa: F401  (the fixture is re-exported)

CJK = re.compile(r"[\u4e00-\u9fff]")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ALERT = re.compile(r'<div class="alert alert-(\w+)" role="alert">(.*?)</div>', re.S)


def text(response):
    return response.get_data(as_text=True)


def visible(body):
    """The page's text without tags and scripts, entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def page(client, url, status=200):
    """GET a page; check status, that it is a Chinese HTML page without Python leaking in."""
    response = client.get(url)
    body = text(response)
    assert response.status_code == status, (url, response.status_code, visible(body)[:1500])
    assert response.mimetype == "text/html", (url, response.mimetype)
    assert CJK.search(body), url
    assert not re.search(r"\b(None|Undefined|Traceback)\b", visible(body)), f"Python leaks into {url}"
    return body


def token(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, visible(text(response))[:800])
    match = _CSRF.search(text(response))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def submit(client, url, data=None, *, page_url, follow=True):
    """POST a form found on `page_url` with that page's CSRF token, as a browser does."""
    data = dict(data or {})
    data.setdefault("csrf_token", token(client, page_url))
    return client.post(url, data=data, follow_redirects=follow)


def alerts(body):
    """[(category, text)] of the flashed messages on a page."""
    return [(cat, " ".join(visible(msg).split())) for cat, msg in _ALERT.findall(body)]


_FORM_ERRORS = re.compile(r'<div class="alert alert-danger" role="alert" data-testid="form-errors">(.*?)</div>\s*(?:<section|<div class="d-flex|</form>|<label|<fieldset|<input|<p)', re.S)
_FIELD_ERROR = re.compile(r'<div class="invalid-feedback d-block"(?: id="[^"]*")? data-field="([^"]+)">([^<]*)</div>')


def form_errors(body):
    """The refusal at the top of a form (one line of text), or ''."""
    found = _FORM_ERRORS.search(body)
    return " ".join(visible(found.group(1)).split()) if found else ""


def field_errors(body):
    """{field name: message} shown at the fields."""
    return {name: message for name, message in _FIELD_ERROR.findall(body)}


def audit(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.fixture
def browser(new_client):
    """`browser(user)`: that person's own logged-in browser (one per person per test)."""
    clients = {}

    def _browser(user):
        if user.id not in clients:
            client = new_client()
            login(client, user)
            limiter.reset()  # many people log in from 127.0.0.1 in one test; the throttle is not under test
            clients[user.id] = client
        return clients[user.id]

    return _browser


class Flow:
    """Drives a world through the real pages: the admin's evaluation page and the sheets."""

    def __init__(self, w: World, browser):
        self.w, self.browser = w, browser
        self.admin = browser(w.admin)

    @property
    def manage_url(self):
        return f"/admin/challenges/{self.w.challenge.id}/evaluation"

    def set_panel(self, round_id, evaluators):
        return submit(self.admin, f"/admin/rounds/{round_id}/panel",
                      {f"r{round_id}-evaluator_ids": [str(e.id) for e in evaluators]}, page_url=self.manage_url)

    def open(self, round_id, evaluators=None):
        response = self.set_panel(round_id, evaluators if evaluators is not None else self.w.evaluators)
        assert response.status_code == 200 and "专家组已更新" in text(response), visible(text(response))[:800]
        response = submit(self.admin, f"/admin/rounds/{round_id}/open", page_url=self.manage_url)
        assert response.status_code == 200 and "本轮评审已开启" in text(response), visible(text(response))[:800]
        return response

    def close(self, round_id):
        return submit(self.admin, f"/admin/rounds/{round_id}/close", page_url=self.manage_url)

    def sign_report(self, evaluator, round_id, data=None):
        return submit(self.browser(evaluator), f"/review/rounds/{round_id}/report/sign", data or {},
                      page_url=f"/review/rounds/{round_id}/report")

    def publish(self, round_id, evaluators=None):
        """Every panel member signs the report on its page, then the admin publishes the round."""
        for evaluator in evaluators if evaluators is not None else self.w.evaluators:
            signed = self.sign_report(evaluator, round_id)
            assert signed.status_code == 200 and "评审报告已签署" in text(signed), visible(text(signed))[:800]
        response = submit(self.admin, f"/admin/rounds/{round_id}/publish", page_url=self.manage_url)
        assert response.status_code == 200 and "本轮结果已发布" in text(response), visible(text(response))[:800]
        return response

    def close_and_publish(self, round_id, evaluators=None):
        closed = self.close(round_id)
        assert closed.status_code == 200, visible(text(closed))[:800]
        return self.publish(round_id, evaluators)

    def declare(self, evaluator, round_id, conflicts=()):
        client = self.browser(evaluator)
        response = submit(client, f"/review/rounds/{round_id}/declaration",
                          {"conflict_provider_ids": [str(c) for c in conflicts]},
                          page_url=f"/review/rounds/{round_id}")
        assert response.status_code == 200 and "回避声明已签署" in text(response), visible(text(response))[:800]
        return response

    def criteria(self, round_id):
        return next(r for r in self.w.rounds if r.id == round_id).criteria

    def score(self, evaluator, round_id, points, *, conflicts=(), action="submit", comment="理由充分", declare=True):
        """`points(submission_id, criterion) -> value` for every field on the evaluator's sheet."""
        if declare:
            self.declare(evaluator, round_id, conflicts)
        client = self.browser(evaluator)
        body = page(client, f"/review/rounds/{round_id}")
        keys = re.findall(r'name="p-(\d+)-(\d+)"', body)
        criteria = {c.id: c for c in self.criteria(round_id)}
        data = {"action": action}
        for sid, cid in keys:
            data[f"p-{sid}-{cid}"] = str(Decimal(points(int(sid), criteria[int(cid)])).quantize(Decimal("0.01"), ROUND_HALF_UP))
            data[f"c-{sid}-{cid}"] = comment
        response = submit(client, f"/review/rounds/{round_id}/sheet", data, page_url=f"/review/rounds/{round_id}")
        expected = "评分表已提交并锁定" if action == "submit" else "草稿已保存"
        assert response.status_code == 200 and expected in text(response), alerts(text(response))
        return {int(sid) for sid, _ in keys}


@pytest.fixture
def flow(browser):
    return lambda w: Flow(w, browser)


__all__ = ["round_plan"]
