"""Only public data is ever indexed; what stops being public disappears at once."""

from datetime import timedelta
from decimal import Decimal

from marketplace.challenges import operations as challenge_ops
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.providers import operations as provider_ops
from marketplace.search.query import search
from marketplace.submissions import operations as submission_ops
from tests import factories
from tests.search.conftest import keys


def test_published_found_draft_pending_returned_never(publish, admin, dept, index):
    public = publish(title="智慧养老服务平台建设", description="独居老人紧急呼叫")
    publish(state="draft", title="草稿榜单", description="草稿独有短语甲乙")
    publish(state="pending_review", title="待审核榜单", description="待审独有短语丙丁")
    returned = publish(state="pending_review", title="退回榜单", description="退回独有短语戊己")
    challenge_ops.return_challenge(admin, returned, reason="材料不全")
    db.session.commit()
    assert keys(search("养老")) == [("challenge", public.id)]
    for phrase in ["草稿独有短语甲乙", "待审独有短语丙丁", "退回独有短语戊己", "草稿榜单", "待审核榜单", "退回榜单"]:
        assert search(phrase).total == 0, phrase
    assert index.doc_keys() == {f"challenge:{public.id}"}


def test_sealed_submission_is_never_found(publish, admin, index):
    challenge = publish(title="为老服务一键通", required_domains=["养老"])
    _, user, _ = factories.create_provider(admin=admin, domains=("养老",), name="上海银发科技有限公司")
    submission_ops.submit_entry(user, challenge, summary="密封方案独有短语庚辛壬癸", technical_plan="知识图谱呼叫调度",
                                price_yuan=Decimal("500000.00"), timeline="6 个月", team="5 人")
    db.session.commit()
    assert search("庚辛壬癸").total == 0
    assert search("密封方案独有短语庚辛壬癸").total == 0
    assert search("知识图谱呼叫调度").total == 0
    assert all(not k.startswith("submission") for k in index.doc_keys())


def test_cancelled_challenge_disappears_at_once(publish, admin, dept):
    challenge = publish(title="数字景区无感入园", domain="文旅", required_domains=["文旅"])
    assert keys(search("无感入园")) == [("challenge", challenge.id)]
    challenge_ops.cancel_challenge(dept, challenge, reason="需求调整")
    db.session.commit()
    assert search("无感入园").total == 0


def test_provider_and_solutions_follow_admission(admin):
    org, user, _ = factories.create_provider(admin=admin, name="上海数字孪生科技有限公司", domains=("数字治理",))
    solution = provider_ops.create_solution(user, title="城市数字孪生底座", domain="数字治理", summary="一网统管三维底座")
    db.session.commit()
    assert {("provider", org.id), ("solution", solution.id)} == set(keys(search("数字孪生")))

    provider_ops.suspend_provider(admin, org, reason="核查中")
    db.session.commit()
    assert search("数字孪生").total == 0  # the provider and its solutions, at once

    provider_ops.reinstate_provider(admin, org)
    db.session.commit()
    assert search("数字孪生").total == 2

    provider_ops.withdraw_solution(user, solution)
    db.session.commit()
    assert keys(search("数字孪生")) == [("provider", org.id)]

    provider_ops.remove_provider(admin, org, reason="严重违约")
    db.session.commit()
    assert search("数字孪生").total == 0


def test_applied_rejected_suspended_expired_never_listed(admin):
    for state, name in [("applied", "申请中孪生甲公司"), ("rejected", "已驳回孪生乙公司"),
                        ("suspended", "已暂停孪生丙公司"), ("removed", "已移出孪生丁公司"),
                        ("expired", "已过期孪生戊公司")]:
        factories.create_provider(state=state, admin=admin, name=name)
    assert search("孪生").total == 0


def test_validity_passing_hides_provider_before_any_job_runs(admin, monkeypatch):
    """An admitted listing whose date passes is expired in effect, even before notify-due writes
    the state and the change log: the indexed date hides it at query time."""
    org, user, _ = factories.create_provider(admin=admin, name="上海智慧菜场科技有限公司", valid_days=30)
    provider_ops.create_solution(user, title="智慧菜场溯源秤", domain="经济", summary="菜场数字化")
    db.session.commit()
    assert len(search("智慧菜场").items) == 2
    monkeypatch.setattr("marketplace.search.query.today_shanghai", lambda: today_shanghai() + timedelta(days=31))
    assert search("智慧菜场").total == 0
    assert search("智慧菜场").facets["type"] == []
