"""`flask audit verify`, `flask create-admin` and `flask seed-demo`."""

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import check_password
from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import record, verify_chain
from marketplace.providers.models import PartnerApplication, Solution
from marketplace.providers.states import PartnerState


def _run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_audit_verify_intact(app, db):
    for i in range(3):
        record(None, "test.cli", object_id=i)
    db.session.commit()
    result = _run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "完整" in result.output and "3" in result.output


def test_audit_verify_empty(app, db):
    result = _run(app, "audit", "verify")
    assert result.exit_code == 0, result.output


def test_audit_verify_names_the_tampered_event(app, db, tamper):
    events = [record(None, "test.cli", object_id=i) for i in range(4)]
    db.session.commit()
    victim_id = events[2].id
    with tamper() as conn:
        conn.execute(sa.text("UPDATE audit_events SET actor_label = 'intruder' WHERE id = :id"), {"id": victim_id})
    result = _run(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"id={victim_id}" in result.output


def test_audit_verify_names_a_deleted_last_event(app, db, tamper):
    events = [record(None, "test.cli", object_id=i) for i in range(3)]
    db.session.commit()
    last_id = events[-1].id
    with tamper() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": last_id})
    result = _run(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"id={last_id}" in result.output


def test_create_admin(app, db):
    result = _run(app, "create-admin", "Chief@Example.gov.cn", "--password", "a-long-password", "--name", "区数据局管理员")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "chief@example.gov.cn"))
    assert user is not None and user.role == Role.admin and user.is_active
    assert user.name == "区数据局管理员"
    assert check_password(user.password_hash, "a-long-password")
    assert "a-long-password" not in user.password_hash
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.create")).object_id == user.id
    assert verify_chain().ok


def test_create_admin_prompts_for_the_password(app, db):
    result = _run(app, "create-admin", "prompted@example.gov.cn", input="secret-pass-1\nsecret-pass-1\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "prompted@example.gov.cn"))
    assert check_password(user.password_hash, "secret-pass-1")


def test_create_admin_refuses_a_duplicate(app, db):
    assert _run(app, "create-admin", "dup@example.gov.cn", "--password", "a-long-password").exit_code == 0
    result = _run(app, "create-admin", "DUP@example.gov.cn", "--password", "another-password")
    assert result.exit_code == 1
    assert "已存在" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_create_admin_refuses_a_short_password(app, db):
    result = _run(app, "create-admin", "short@example.gov.cn", "--password", "short")
    assert result.exit_code == 2
    assert "8" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def _row_counts(db):
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    return counts


def test_seed_demo_is_idempotent(app, db):
    first = _run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    assert "admin@demo.gov.cn" in first.output
    db.session.expire_all()
    counts = _row_counts(db)
    assert counts["users"] >= 20 and counts["organisations"] >= 17
    assert counts["solutions"] >= 5 and counts["partner_applications"] >= 7

    second = _run(app, "seed-demo")
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _row_counts(db) == counts
    result = verify_chain()
    assert result.ok and result.events == counts["audit_events"]


def test_seed_demo_has_providers_in_several_states(app, db):
    assert _run(app, "seed-demo").exit_code == 0
    states = set(db.session.scalars(sa.select(PartnerApplication.state)).all())
    assert {PartnerState.admitted, PartnerState.applied, PartnerState.rejected,
            PartnerState.suspended, PartnerState.expired} <= states
    titles = db.session.scalars(sa.select(Solution.title)).all()
    assert any("便捷就医" in t for t in titles)
