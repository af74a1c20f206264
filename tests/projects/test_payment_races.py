"""Payments and voids racing as real parallel HTTP requests against a served app on PostgreSQL:
the project row lock keeps paid ≤ approved, and a payment is voided once."""

import json
import threading
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from marketplace.accounts.operations import issue_token
from marketplace.extensions import db
from marketplace.projects.models import Payment, Project
from marketplace.projects.states import ProjectStage as S
from tests.served import served as serve

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks under parallel requests are tested on PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
def base(app):
    with serve(app) as url:
        yield url


def _post(url, token, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local test server)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _all_at_once(calls):
    start, statuses = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        start.wait(10)
        statuses[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


def test_eight_parallel_payments_of_30_percent_pay_three(base, make_project, dept):
    project = make_project(S.build, budget="1000.00")
    token, _ = issue_token(dept[1])
    db.session.commit()
    url = f"{base}/api/v1/projects/{project.id}/payments"
    statuses = _all_at_once([lambda i=i: _post(url, token, {"amount_yuan": "300.00", "note": f"第 {i} 笔"})
                             for i in range(8)])
    assert sorted(statuses) == [201] * 3 + [422] * 5, statuses
    db.session.expire_all()
    assert db.session.get(Project, project.id).paid_fen == 90000


def test_two_parallel_voids_void_once(base, make_project, dept):
    from marketplace.projects import operations as ops

    project = make_project(S.build, budget="1000.00")
    payment = ops.record_payment(dept[1], project, amount_yuan=Decimal("300.00"))
    token, _ = issue_token(dept[1])
    db.session.commit()
    url = f"{base}/api/v1/payments/{payment.id}/void"
    statuses = _all_at_once([lambda r=r: _post(url, token, {"reason": r}) for r in ("凭证有误", "重复登记")])
    assert sorted(statuses) == [200, 409], statuses
    db.session.expire_all()
    assert db.session.get(Project, project.id).paid_fen == 0
    assert db.session.get(Payment, payment.id).void_reason in ("凭证有误", "重复登记")
