"""Helpers for the challenge and submission page tests (issue 3): browse the real pages with
CSRF on, post their forms the way a browser does, and build challenges in any state through
the real operations."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.core.db import utcnow
from marketplace.core.timeutil import to_shanghai
from marketplace.extensions import db as _db
from tests import factories
from tests.conftest import make_client
from tests.scenario import Scenario, set_deadline

CJK = re.compile(r"[\u4e00-\u9fff]")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_FIELD_ERROR = re.compile(r'<div class="invalid-feedback d-block" data-field="([^"]+)">([^<]*)</div>')
_BLOCK_ERROR = re.compile(r'<div class="text-danger small mb-2" data-field="([^"]+)">([^<]*)</div>')
_FLASH = re.compile(r'<div class="alert alert-(\w+)" role="alert">(.*?)</div>', re.S)


# --- a browser per person --------------------------------------------------------------------



@pytest.fixture
def browser_for(app):
    """`browser_for(user)` → a fresh client (own cookies) logged in through /login;
    `browser_for(None)` → an anonymous one."""

    def _open(user=None):
        client = make_client(app)
        if user is not None:
            login(client, user)
        return client

    return _open


def login(client, user):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "csrf_token": token(client, "/login")})
    assert response.status_code == 302, text(response)[:1500]
    return client


# --- reading pages ---------------------------------------------------------------------------

def text(response):
    return response.get_data(as_text=True)


def visible(body):
    """The page's text without tags, scripts and attribute values."""
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def page(client, url, status=200):
    """GET a page, check its status and that it is a Chinese HTML page; return its HTML."""
    response = client.get(url)
    body = text(response)
    assert response.status_code == status, (url, response.status_code, body[:1500])
    assert response.mimetype == "text/html", (url, response.mimetype)
    assert CJK.search(body), url
    assert not re.search(r"\b(None|Undefined|Traceback|Decimal)\b", visible(body)), \
        f"Python leaks into the text of {url}"
    return body


def token(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, text(response)[:500])
    match = _CSRF.search(text(response))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def submit(client, url, data=None, *, page_url=None, follow=False, **kwargs):
    """POST a form from `page_url` (default: the form's own URL) with that page's CSRF token."""
    data = dict(data or {})
    data.setdefault("csrf_token", token(client, page_url or url))
    return client.post(url, data=data, follow_redirects=follow, **kwargs)


def field_errors(body):
    """{field name: [messages]} shown at the fields (and at a round's criteria table)."""
    out = {}
    for name, message in _FIELD_ERROR.findall(body) + _BLOCK_ERROR.findall(body):
        message = html.unescape(message)
        assert CJK.search(message), f"field error for {name} is not in Chinese: {message!r}"
        out.setdefault(name, []).append(message)
    return out


def flashes(body):
    """[(category, text)] of the flashed messages on a page."""
    return [(cat, visible(msg).strip()) for cat, msg in _FLASH.findall(body)]


def redirect_path(response):
    return re.sub(r"^https?://[^/]+", "", response.headers.get("Location", ""))


def assert_login_redirect(response, what=""):
    assert response.status_code == 302, (what, response.status_code)
    assert redirect_path(response).startswith("/login"), (what, response.headers.get("Location"))


# --- data ------------------------------------------------------------------------------------

def local(dt):
    """A UTC datetime as the form's datetime-local value (Beijing time)."""
    return to_shanghai(dt).strftime("%Y-%m-%dT%H:%M")


def challenge_form(**overrides):
    """A valid challenge form as a browser posts it: one round with two criteria (60/40); the
    other blank round blocks and criteria rows are simply absent or empty."""
    data = {
        "title": "便捷就医服务2.0：智能分诊导诊",
        "domain": "医疗",
        "description": "区属医院门诊高峰排队长，需要**智能分诊导诊**与院内导航。",
        "pain_points": "挂号科室选错率高",
        "outcomes": "平均候诊时间缩短 30%",
        "budget_yuan": "1250000.50",
        "deadline": local(utcnow() + timedelta(days=30)),
        "required_domains": ["医疗"],
        "race_slots": "1",
        "min_submissions": "1",
        "notice_days": "5",
        "contact": "王老师 021-6400 0000",
        "rounds-0-name": "方案评审",
        "rounds-0-aggregation": "mean",
        "rounds-0-min_panel": "3",
        "rounds-0-criteria-0-name": "技术方案",
        "rounds-0-criteria-0-weight": "60",
        "rounds-0-criteria-0-max_points": "100",
        "rounds-0-criteria-1-name": "报价合理性",
        "rounds-0-criteria-1-weight": "40",
        "rounds-0-criteria-1-max_points": "100",
        # what the browser also sends: the blank second round block
        "rounds-1-name": "", "rounds-1-aggregation": "mean", "rounds-1-min_panel": "3",
        "rounds-1-criteria-0-name": "", "rounds-1-criteria-0-weight": "", "rounds-1-criteria-0-max_points": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def plan_values(**overrides):
    values = {
        "title": "为老服务一键通", "domain": "养老", "description": "独居老人紧急呼叫与上门服务调度",
        "pain_points": "", "outcomes": "覆盖 5 万名老人", "budget_yuan": Decimal("800000.00"),
        "deadline": utcnow() + timedelta(days=10), "required_domains": ["养老"], "race_slots": 1,
        "min_submissions": 1, "notice_days": 5, "contact": "",
        "rounds": [{"name": "方案评审", "aggregation": "mean", "advance_top": None, "advance_threshold": None,
                    "blind": False, "min_panel": 3,
                    "criteria": [{"name": "技术方案", "description": "", "weight": 60, "max_points": 100},
                                 {"name": "报价", "description": "", "weight": 40, "max_points": 100}]}],
    }
    values.update(overrides)
    return values


def make_challenge(department_user, state="published", admin=None, **overrides):
    """A challenge of `department_user`'s organisation taken to draft / pending_review /
    published through the operations (each step committed), by tests/scenario.py."""
    return Scenario(department=department_user, admin=admin).create(plan_values(**overrides)).to(state).challenge


def pass_deadline(challenge, seconds=1):
    """Move a challenge's deadline into the past (as if time went by); the next request closes it."""
    set_deadline(challenge, utcnow() - timedelta(seconds=seconds))
    _db.session.expire_all()


def count(model, *where):
    _db.session.expire_all()
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def department_org(db):
    return factories.create_org("department", name="区卫生健康委")


@pytest.fixture
def dept(department_org):
    return factories.create_user("department", org=department_org, name="卫健委经办人")


@pytest.fixture
def other_dept(db):
    return factories.create_user("department", org=factories.create_org("department", name="区民政局"))


@pytest.fixture
def provider(admin):
    """An admitted provider covering 医疗 and 养老: (organisation, user, application)."""
    return factories.create_provider(admin=admin, domains=("医疗", "养老"), name="上海智慧医疗科技有限公司")


@pytest.fixture
def published(dept, admin):
    return make_challenge(dept, "published", admin=admin, domain="医疗", required_domains=["医疗"],
                          title="便捷就医服务2.0")


ENTRY = {"summary": "AI 分诊 + 院内导航", "technical_plan": "## 架构\n知识图谱分诊", "price_yuan": "980000.00",
         "timeline": "6 个月：3 个月试点，3 个月推广", "team": "项目经理 1 名，算法工程师 4 名"}
