"""Fixtures for issue 3 (challenges, sealed submissions, files).

Challenges are built through the real operations by tests/scenario.py (create → submit for review
→ approve → … to any state), so audit events and notifications exist as in production. Deadlines
that must lie in the past or within seconds are moved afterwards with a plain UPDATE, as time
passing would move them. `set_state` (a plain UPDATE of the state) is left for the few tests
that need a state the challenge's own plan cannot reach (a single-slot challenge "racing").
"""

import io
import re
import struct
import zipfile
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.challenges.models import Challenge
from marketplace.core.db import utcnow
from marketplace.core.timeutil import isoformat
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from tests import factories
from tests.conftest import login, make_client
from tests.scenario import Scenario, race_values, set_deadline

CJK = re.compile(r"[\u4e00-\u9fff]")
ISO_0800 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$")


def has_chinese(text):
    return isinstance(text, str) and bool(CJK.search(text))


def assert_error(response, status, field=None):
    """`status` with the documented envelope, a Chinese message and Chinese field messages."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:800])
    body = response.get_json()
    assert body is not None and set(body) == {"error"}, body
    error = body["error"]
    assert has_chinese(error["message"]), error
    for message in error["fields"].values():
        assert has_chinese(message), error
    if field is not None:
        assert field in error["fields"], error
    return error


# --- clients (tests/conftest.py gives each request its own application context) -------------------

@pytest.fixture
def browser(app):
    """`browser(user)` → a fresh cookie jar logged in through the login page; `browser()` anonymous."""

    def _browser(user=None):
        c = make_client(app)
        if user is not None:
            login(c, user)
        return c

    return _browser


# --- people ---------------------------------------------------------------------------------------

@pytest.fixture
def dept(db):
    """The department posting the challenges (区卫生健康委) and one of its users."""
    org = factories.create_org("department", name="区卫生健康委")
    return factories.create_user("department", org=org, name="卫健委经办人")


@pytest.fixture
def other_dept(db):
    org = factories.create_org("department", name="区教育局")
    return factories.create_user("department", org=org, name="教育局经办人")


@pytest.fixture
def provider(create_provider, admin):
    """An admitted provider covering 养老 and 医疗: (organisation, user, application)."""
    return create_provider(admin=admin, name="上海智慧养老科技有限公司")


@pytest.fixture
def rival(create_provider, admin):
    return create_provider(admin=admin, name="上海数联医疗信息有限公司")


# --- challenges -----------------------------------------------------------------------------------

def challenge_values(**overrides):
    """Valid operation values (as ChallengeForm.values() returns them)."""
    values = {
        "title": "便捷就医服务2.0：智能分诊导诊",
        "domain": "医疗",
        "description": "在区属医院上线智能分诊导诊、院内导航与医疗收费电子票据。",
        "pain_points": "患者排队时间长，院内找路难。",
        "outcomes": "平均候诊时间下降 30%；电子票据覆盖率 100%。",
        "budget_yuan": Decimal("1250000.00"),
        "deadline": utcnow() + timedelta(days=10),
        "required_domains": ["医疗"],
        "race_slots": 1,
        "min_submissions": 1,
        "notice_days": 5,
        "contact": "王老师 021-12345678",
        "rounds": [{
            "name": "方案评审", "aggregation": "mean", "advance_top": None, "advance_threshold": None,
            "blind": False, "min_panel": 3,
            "criteria": [
                {"name": "技术方案", "description": "", "weight": 60, "max_points": 10},
                {"name": "报价", "description": "", "weight": 40, "max_points": 10},
            ],
        }],
    }
    values.update(overrides)
    return values


def challenge_payload(**overrides):
    """A valid JSON body for POST /api/v1/challenges."""
    body = {
        "title": "为老服务一键通",
        "domain": "养老",
        "description": "独居老人一键呼叫、助餐助浴预约。",
        "outcomes": "响应时间不超过 15 分钟。",
        "budget_yuan": "800000.00",
        "deadline": isoformat(utcnow() + timedelta(days=20)),
        "required_domains": ["养老"],
        "race_slots": 2,
        "min_submissions": 1,
        "notice_days": 5,
        "pilot_budget_yuan": "100000.00",
        "race_milestones": [{"title": "试点部署", "due_days": 30, "evidence": "部署报告"}],
        "rounds": [{
            "name": "方案评审", "aggregation": "trimmed_mean", "blind": True, "advance_top": 2,
            "criteria": [{"name": "技术方案", "weight": 70, "max_points": 100},
                         {"name": "报价", "weight": 30, "max_points": 100}],
        }],
    }
    body.update(overrides)
    return body


def set_state(challenge, state):
    """Test set-up only: put a challenge straight into a later state of its lifecycle."""
    _db.session.execute(sa.update(Challenge).where(Challenge.id == challenge.id).values(state=state))
    _db.session.commit()
    _db.session.refresh(challenge)
    return challenge


def move_deadline(challenge, delta=None, *, to=None):
    """Move the stored deadline as the passing of time would (no operation, no audit)."""
    return set_deadline(challenge, to if to is not None else utcnow() + delta)


@pytest.fixture
def create_challenge(db, admin):
    """`create_challenge(department_user, state="published", **values)`: tests/scenario.py takes it
    there through the operations (a "racing" one is made a two-slot race with a mid-term round;
    "closed" and later ones get one entry from a new provider before the deadline passes)."""

    def _create(department_user, state="published", **overrides):
        values = challenge_values(**overrides)
        if state == "racing":
            values = race_values(values)
        return Scenario(admin=admin, department=department_user).create(values).to(state).challenge

    return _create


def entry_values(**overrides):
    values = {"summary": "基于知识图谱的智能分诊", "technical_plan": "## 架构\n微服务 + 院内定位",
              "price_yuan": Decimal("990000.00"), "timeline": "签约后 6 个月上线", "team": "项目经理 1 名"}
    values.update(overrides)
    return values


def entry_payload(**overrides):
    body = {"summary": "一键呼叫终端 + 社区云平台", "technical_plan": "终端、平台、坐席三部分。",
            "price_yuan": "750000.00", "timeline": "3 个月试点，6 个月推广", "team": "10 人"}
    body.update(overrides)
    return body


@pytest.fixture
def submit_entry(db):
    """`submit_entry(provider_user, challenge)` → the submission, through the operation."""

    def _submit(user, challenge, **overrides):
        return Scenario.of(challenge).enter(user, **entry_values(**overrides)).submissions[-1]

    return _submit


# --- counting -------------------------------------------------------------------------------------

def audit_count(action, object_id=None):
    query = sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == action)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    return _db.session.scalar(query)


def notification_count(user, kind):
    return _db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.kind == kind))


# --- files with real magic bytes ------------------------------------------------------------------

def pdf_bytes():
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def png_bytes():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def jpg_bytes():
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def zip_bytes(files=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (files or {"readme.txt": "方案说明"}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?>'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
_OOXML_MAIN = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}


def ooxml_bytes(kind):
    return zip_bytes({"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": "<Relationships/>",
                      _OOXML_MAIN[kind]: "<root/>"})


def exe_bytes():
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."


VALID_FILES = {
    "pdf": pdf_bytes, "docx": lambda: ooxml_bytes("docx"), "xlsx": lambda: ooxml_bytes("xlsx"),
    "pptx": lambda: ooxml_bytes("pptx"), "png": png_bytes, "jpg": jpg_bytes, "zip": zip_bytes,
}


def upload(api_client, url, data, name):
    return api_client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")

