"""Unit: payments are exact and their sum never exceeds the approved budget — in Python, in the
database (CHECK), and under two requests at the same moment (on SQLite and PostgreSQL alike)."""

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.projects import operations as ops
from marketplace.projects.models import Payment, Project
from marketplace.projects.states import ProjectStage

S = ProjectStage


def test_exact_decimals_up_to_the_budget(make_project, dept):
    project = make_project(S.build, budget="1000000.00")
    for amount in ("333333.33", "333333.33", "333333.33"):
        ops.record_payment(dept[1], project, amount_yuan=Decimal(amount), note="分期")
    assert project.paid_fen == 99_999_999 and project.remaining_fen == 1
    ops.record_payment(dept[1], project, amount_yuan=Decimal("0.01"))
    assert project.paid_yuan == Decimal("1000000.00") == project.approved_yuan
    with pytest.raises(ValidationFailed) as caught:
        ops.record_payment(dept[1], project, amount_yuan=Decimal("0.01"))
    assert "剩余可付 0.00 元" in caught.value.fields["amount_yuan"]


def test_above_the_budget_is_refused_and_nothing_written(make_project, dept):
    project = make_project(S.procurement, budget="500000.00")
    ops.record_payment(dept[1], project, amount_yuan=Decimal("400000.00"))
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        ops.record_payment(dept[1], project, amount_yuan=Decimal("100000.01"))
    assert "超出批复预算" in caught.value.fields["amount_yuan"]
    db.session.rollback()
    assert db.session.get(Project, project.id).paid_fen == 40_000_000
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1


@pytest.mark.parametrize("amount", ["0", "0.00"])
def test_zero_is_refused(make_project, dept, amount):
    project = make_project(S.build)
    with pytest.raises(ValidationFailed):
        ops.record_payment(dept[1], project, amount_yuan=Decimal(amount))


@pytest.mark.parametrize("stage", [S.application, S.feasibility, S.approval, S.terminated])
def test_no_payments_before_approval_or_after_termination(make_project, dept, stage):
    project = make_project(stage)
    with pytest.raises(Conflict):
        ops.record_payment(dept[1], project, amount_yuan=Decimal("1.00"))


def test_the_database_refuses_paid_above_approved(make_project):
    """The CHECK constraint holds even for a write that bypasses the operations."""
    project = make_project(S.build, budget="100.00")
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Project).where(Project.id == project.id).values(paid_fen=10_001))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(Payment).values(project_id=project.id, amount_fen=0, note="",
                                                     paid_on=project.created_at.date(), created_at=project.created_at))
    db.session.rollback()


def test_two_payments_at_the_same_moment_never_exceed_the_budget(app, make_project, dept):
    """Two requests each paying 60% of the budget, the second starting while the first's
    transaction is still open: exactly one is recorded, the other is refused (422), on SQLite and
    on PostgreSQL (run with TEST_DATABASE_URL)."""
    project = make_project(S.build, budget="1000000.00")
    project_id, user_id = project.id, dept[1].id
    db.session.commit()
    first_updated, results = threading.Event(), {}

    def pay(name, hold):
        from marketplace.accounts.models import User

        with app.app_context():
            try:
                actor = db.session.get(User, user_id)
                target = db.session.get(Project, project_id)
                if not hold:
                    first_updated.wait(5)
                ops.record_payment(actor, target, amount_yuan=Decimal("600000.00"), note=name)
                if hold:
                    first_updated.set()
                    time.sleep(0.5)  # keep the transaction open while the other one arrives
                db.session.commit()
                results[name] = "paid"
            except ValidationFailed as exc:
                db.session.rollback()
                results[name] = exc.fields.get("amount_yuan", "refused")
            except Exception as exc:  # any other outcome fails the test below
                db.session.rollback()
                results[name] = repr(exc)
            finally:
                first_updated.set()
                db.session.remove()

    threads = [threading.Thread(target=pay, args=("first", True)), threading.Thread(target=pay, args=("second", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results["first"] == "paid", results
    assert "超出批复预算" in results["second"], results
    db.session.expire_all()
    stored = db.session.get(Project, project_id)
    total = db.session.scalar(sa.select(sa.func.sum(Payment.amount_fen)).where(Payment.project_id == project_id))
    assert stored.paid_fen == total == 60_000_000 <= stored.approved_fen


def test_many_concurrent_payments(app, make_project, dept):
    """Eight requests of 30% each at once: at most three fit, and the books agree."""
    project = make_project(S.build, budget="1000.00")
    project_id, user_id = project.id, dept[1].id
    db.session.commit()
    start, outcomes = threading.Barrier(8), []

    def pay():
        from marketplace.accounts.models import User

        with app.app_context():
            try:
                start.wait(5)
                ops.record_payment(db.session.get(User, user_id), db.session.get(Project, project_id),
                                   amount_yuan=Decimal("300.00"))
                db.session.commit()
                outcomes.append("paid")
            except ValidationFailed:
                db.session.rollback()
                outcomes.append("refused")
            except sa.exc.OperationalError:  # SQLite: a writer gave up waiting for the lock
                db.session.rollback()
                outcomes.append("busy")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("paid") == 3, outcomes
    db.session.expire_all()
    stored = db.session.get(Project, project_id)
    total = db.session.scalar(sa.select(sa.func.sum(Payment.amount_fen)).where(Payment.project_id == project_id))
    assert stored.paid_fen == total == 90_000 <= stored.approved_fen
