"""A small world for needs: the office, two 街道/departments and a responsible unit, built
through the real operations."""

import pytest

from marketplace.extensions import db
from marketplace.needs import operations as ops
from tests import factories


def need_values(**overrides):
    values = {
        "title": "智慧菜场：菜市场摊位数字化与食品安全追溯", "domain": "经济",
        "problem": "菜市场仍用纸质台账，菜价不透明，食品安全问题无法追溯到摊位。",
        "scenario": "摊位使用联网电子秤和数字价签，进货台账电子化，居民扫码查看菜价和产地。",
        "beneficiaries": "辖区 3 家菜市场约 260 个摊位，周边约 5 万居民。",
        "expected_outcomes": "菜价每日自动公示；食品安全问题 2 小时内追溯到供货商。",
        "data_available": "摊位清单", "keywords": ["智慧菜场", "食品安全", "追溯"],
        "budget_yuan": None, "budget_source": "",
    }
    values.update(overrides)
    return values


@pytest.fixture
def office(db):
    return factories.create_user("admin", name="平台管理员", email="office@example.gov.cn")


@pytest.fixture
def street(db):
    org = factories.create_org("department", name="徐家汇街道")
    return factories.create_user("department", org=org, name="街道经办人")


@pytest.fixture
def other_street(db):
    org = factories.create_org("department", name="湖南路街道")
    return factories.create_user("department", org=org, name="湖南路经办人")


@pytest.fixture
def bureau(db):
    org = factories.create_org("department", name="区商务委")
    return factories.create_user("department", org=org, name="商务委经办人")


@pytest.fixture
def submit(street):
    def _submit(user=None, **overrides):
        need = ops.submit_need(user or street, need_values(**overrides))
        db.session.commit()
        return need

    return _submit


@pytest.fixture
def accepted(submit, office, bureau):
    """submit(...) then accept, routed to 区商务委."""

    def _accepted(**overrides):
        need = submit(**overrides)
        ops.accept_need(office, need, assignee_id=bureau.organisation_id, note="交区商务委办理")
        db.session.commit()
        return need

    return _accepted


@pytest.fixture
def published(accepted, office):
    def _published(**overrides):
        need = accepted(**overrides)
        batch = ops.create_batch(office, need_ids=[need.id])
        ops.publish_batch(office, batch)
        db.session.commit()
        return need

    return _published
