"""A small matching world built through the real operations: a department, providers admitted
(or not) in various domains with catalogue solutions, and a published challenge."""

import pytest

from marketplace.challenges import operations as challenge_ops
from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from tests import factories
from tests.challenges.conftest import challenge_values


@pytest.fixture
def dept(db):
    org = factories.create_org("department", name="区卫生健康委")
    return factories.create_user("department", org=org, name="卫健委经办人")


@pytest.fixture
def make_provider(admin):
    """make_provider(name, domains, solutions=[(title, domain, summary)], state="admitted")."""

    def _make(name, domains, solutions=(), state="admitted"):
        org, user, app = factories.create_provider(state="admitted", domains=domains, admin=admin, name=name)
        for title, domain, summary in solutions:
            provider_ops.create_solution(user, title=title, domain=domain, summary=summary)
        db.session.commit()
        if state != "admitted":
            if state == "suspended":
                provider_ops.suspend_provider(admin, org, reason="核查中")
            elif state == "expired":
                app.valid_until = app.valid_until.replace(year=2020)
            db.session.commit()
        return org, user

    return _make


@pytest.fixture
def publish(admin):
    def _publish(user, **overrides):
        challenge = challenge_ops.create_challenge(user, challenge_values(**overrides))
        challenge_ops.submit_for_review(user, challenge)
        challenge_ops.approve_challenge(admin, challenge)
        db.session.commit()
        return challenge

    return _publish


@pytest.fixture
def world(make_provider, dept, publish):
    """Three eligible providers (分诊 closest, then 医养, then one with no related solution), and
    three that must never appear: wrong domain, suspended, expired."""
    triage, triage_user = make_provider("上海数智医联科技有限公司", ["医疗"], [
        ("智能分诊导诊系统", "医疗", "症状问答与科室知识图谱的智能分诊导诊，院内导航与医疗收费电子票据。")])
    care, care_user = make_provider("上海健康云数据服务有限公司", ["医疗", "养老"], [
        ("互联网医院医养结合服务平台", "医疗", "在线复诊、处方流转、医保结算。")])
    plain, _ = make_provider("上海通用软件有限公司", ["医疗", "教育"], [
        ("校园一卡通", "教育", "学生食堂消费与门禁。")])
    wrong, _ = make_provider("上海颐康智慧养老科技有限公司", ["养老"], [
        ("智能分诊导诊", "养老", "智能分诊导诊院内导航电子票据。")])
    suspended, _ = make_provider("上海停牌科技有限公司", ["医疗"], [
        ("智能分诊导诊院内导航", "医疗", "智能分诊导诊院内导航电子票据。")], state="suspended")
    expired, _ = make_provider("上海过期科技有限公司", ["医疗"], [
        ("智能分诊导诊院内导航", "医疗", "智能分诊导诊院内导航电子票据。")], state="expired")
    challenge = publish(dept)
    return {"challenge": challenge, "triage": triage, "triage_user": triage_user, "care": care,
            "care_user": care_user, "plain": plain, "ineligible": [wrong, suspended, expired]}
