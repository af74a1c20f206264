"""Fixtures for the project library tests: a department, a provider, evaluators, and
`make_project(stage)` that walks a project to a stage through the real operations."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage

from marketplace.extensions import db as _db
from marketplace.projects import operations as ops
from marketplace.projects.states import DOCUMENT_REQUIRED, ORDER, ProjectStage
from tests import factories

S = ProjectStage
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf(name="doc.pdf"):
    return FileStorage(stream=io.BytesIO(PDF), filename=name, content_type="application/pdf")


@pytest.fixture
def dept(db):
    """(department organisation, department user)."""
    org = factories.create_org("department", name="区卫生健康委")
    return org, factories.create_user("department", org=org, name="卫健委经办人")


@pytest.fixture
def other_dept(db):
    org = factories.create_org("department", name="区教育局")
    return org, factories.create_user("department", org=org, name="教育局经办人")


@pytest.fixture
def provider(admin):
    org, user, _ = factories.create_provider(admin=admin, name="上海数智医联科技有限公司", domains=("医疗",))
    return org, user


@pytest.fixture
def other_provider(admin):
    org, user, _ = factories.create_provider(admin=admin, name="上海其他科技有限公司", domains=("医疗",))
    return org, user


@pytest.fixture
def panel(db):
    return [factories.create_user("evaluator", name=f"验收专家{i}") for i in range(1, 4)]


def walk(project, department, admin, target):
    """Through each gate up to `target`, uploading the documents the gates need."""
    while project.stage != target:
        stage = project.stage
        if stage in DOCUMENT_REQUIRED and ops.missing_documents(project):
            ops.add_document(department, project, stage=stage, title=DOCUMENT_REQUIRED[stage], upload=pdf())
        if stage == S.acceptance:  # left through the panel's conclusion, not a gate
            expert = factories.create_user("evaluator", name="验收专家（组长）")
            ops.convene_acceptance(department, project, panel_ids=[expert.id], conclusion="pass",
                                   checklist=[{"item": "功能全部上线", "passed": True}])
            continue
        nxt = ORDER[ORDER.index(stage) + 1]
        ops.advance_project(department, project, to_stage=nxt.value)
        if stage == S.approval:
            ops.advance_project(admin, project, to_stage=nxt.value)
    _db.session.commit()
    return project


@pytest.fixture
def make_project(dept, provider, admin):
    def _make(stage=S.application, budget="1000000.00", title="便捷就医服务2.0", with_provider=True):
        department = dept[1]
        project = ops.create_project(department, title=title, domain="医疗", approved_budget_yuan=Decimal(budget),
                                     provider_id=provider[0].id if with_provider else None)
        _db.session.commit()
        if stage == S.terminated:
            ops.terminate_project(admin, project, reason="测试终止")
            _db.session.commit()
            return project
        return walk(project, department, admin, S(stage))

    return _make


@pytest.fixture
def milestone(make_project, dept, provider):
    from marketplace.core.timeutil import today_shanghai

    project = make_project(S.build)
    m = ops.add_milestone(dept[1], project, title="系统上线", due_date=today_shanghai() + timedelta(days=10),
                          owner_id=provider[1].id)
    _db.session.commit()
    return m
