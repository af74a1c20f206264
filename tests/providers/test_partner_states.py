"""The partner-list lifecycle (伙伴清单): the transition table and the operations built on it."""

import itertools
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.audit.models import AuditEvent
from marketplace.audit.operations import verify_chain
from marketplace.core.errors import Conflict, InvalidTransition
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from marketplace.providers import operations as provider_ops
from marketplace.providers import queries
from marketplace.providers.models import PartnerApplication
from marketplace.providers.states import ACTIONS, LIVE_STATES, PARTNER_MACHINE, REAPPLY_STATES, PartnerState

S = PartnerState
CHINESE = re.compile("[\u4e00-\u9fff]")

# From the domain brief, written out here rather than read from the app:
# applied → admitted | rejected;  admitted ⇄ suspended;  admitted → expired | removed.
EXPECTED = {
    (S.applied, "admit"): S.admitted,
    (S.applied, "reject"): S.rejected,
    (S.admitted, "suspend"): S.suspended,
    (S.suspended, "reinstate"): S.admitted,
    (S.admitted, "expire"): S.expired,
    (S.admitted, "remove"): S.removed,
}
ALL_PAIRS = list(itertools.product(list(PartnerState), sorted(ACTIONS)))


def _id(pair):
    return f"{pair[0].value}-{pair[1]}"


def test_table_has_exactly_the_domain_transitions():
    assert set(PARTNER_MACHINE.states) == set(PartnerState)
    assert PARTNER_MACHINE.transitions == EXPECTED


def test_every_action_has_a_chinese_label():
    assert set(ACTIONS) == {"admit", "reject", "suspend", "reinstate", "expire", "remove"}
    for label in ACTIONS.values():
        assert CHINESE.search(label)
    for state in PartnerState:
        assert CHINESE.search(state.label)


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=_id)
def test_every_state_action_pair(pair):
    state, action = pair
    if pair in EXPECTED:
        assert PARTNER_MACHINE.allowed(state, action)
        assert PARTNER_MACHINE.target(state, action) == EXPECTED[pair]
        assert action in PARTNER_MACHINE.actions_from(state)
    else:
        assert not PARTNER_MACHINE.allowed(state, action)
        assert action not in PARTNER_MACHINE.actions_from(state)
        with pytest.raises(InvalidTransition) as caught:
            PARTNER_MACHINE.target(state, action)
        exc = caught.value
        assert exc.status == 409
        assert isinstance(exc, Conflict)
        assert CHINESE.search(exc.message)
        assert state.label in exc.message and ACTIONS[action] in exc.message


def test_terminal_states_have_no_way_out():
    for state in (S.rejected, S.expired, S.removed):
        assert PARTNER_MACHINE.actions_from(state) == []


def test_live_and_reapply_states_partition_the_states():
    assert set(LIVE_STATES) | set(REAPPLY_STATES) == set(PartnerState)
    assert not set(LIVE_STATES) & set(REAPPLY_STATES)


# --- the operations follow the table ----------------------------------------------------------

def _audit_count(action=None):
    query = sa.select(sa.func.count(AuditEvent.id))
    if action:
        query = query.where(AuditEvent.action == action)
    return _db.session.scalar(query)


def _perform(action, admin, org, app):
    if action == "admit":
        return provider_ops.admit_application(admin, app, valid_until=today_shanghai() + timedelta(days=30))
    if action == "reject":
        return provider_ops.reject_application(admin, app, reason="材料不全")
    if action == "suspend":
        return provider_ops.suspend_provider(admin, org, reason="核查中")
    if action == "reinstate":
        return provider_ops.reinstate_provider(admin, org, note="核查完毕")
    if action == "remove":
        return provider_ops.remove_provider(admin, org, reason="严重违约")
    raise AssertionError(action)


OPERATION_PAIRS = [(s, a) for s, a in ALL_PAIRS if a != "expire"]


@pytest.mark.parametrize("pair", OPERATION_PAIRS, ids=_id)
def test_operations_follow_the_table(pair, db, listing_in):
    state, action = pair
    org, user, app, admin = listing_in(state)
    events_before = _audit_count()
    if pair in EXPECTED:
        _perform(action, admin, org, app)
        db.session.commit()
        assert app.state == EXPECTED[pair]
        event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event.action == f"partner_application.{action}"
        assert event.actor_id == admin.id
        assert event.object_id == app.id
        assert event.before["state"] == state.value
        assert event.after["state"] == EXPECTED[pair].value
        # the provider is told
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id))
    else:
        with pytest.raises(InvalidTransition):
            _perform(action, admin, org, app)
        db.session.rollback()
        db.session.refresh(app)
        assert app.state == state
        assert _audit_count() == events_before
    assert verify_chain().ok


# --- expiry -----------------------------------------------------------------------------------

def test_listing_past_its_date_is_expired_in_effect(db, listing_in):
    org, user, app, admin = listing_in("admitted")
    app.valid_until = today_shanghai() - timedelta(days=1)
    db.session.commit()
    assert app.state == S.admitted  # stored state is untouched until someone acts on it
    assert app.effective_state == S.expired
    assert not app.is_admitted
    assert queries.admitted_listing(org.id) is None
    assert db.session.scalars(queries.directory_query()).all() == []
    assert provider_ops.provider_standing(org) == ["贵单位的伙伴清单资格已过期"]


def test_listing_is_valid_through_its_last_day(db, listing_in):
    org, user, app, admin = listing_in("admitted")
    app.valid_until = today_shanghai()
    db.session.commit()
    assert app.effective_state == S.admitted
    assert queries.admitted_listing(org.id) is app
    assert provider_ops.provider_standing(org) == []
    provider_ops.expire_if_due(app)
    assert app.state == S.admitted


def test_expiry_follows_the_shanghai_date(db, listing_in, monkeypatch):
    from datetime import UTC, datetime

    from marketplace.core import timeutil

    org, user, app, admin = listing_in("admitted")
    app.valid_until = timeutil.today_shanghai()
    # 16:30 UTC on the last day is already 00:30 of the next day in Shanghai.
    last_day = app.valid_until
    late = datetime(last_day.year, last_day.month, last_day.day, 16, 30, tzinfo=UTC)
    monkeypatch.setattr(timeutil, "now_utc", lambda: late)
    assert app.effective_state == S.expired
    early = datetime(last_day.year, last_day.month, last_day.day, 15, 30, tzinfo=UTC)
    monkeypatch.setattr(timeutil, "now_utc", lambda: early)
    assert app.effective_state == S.admitted


def test_expire_if_due_records_once(db, listing_in):
    org, user, app, admin = listing_in("admitted")
    app.valid_until = today_shanghai() - timedelta(days=1)
    db.session.commit()
    provider_ops.expire_if_due(app)
    db.session.commit()
    assert app.state == S.expired
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "partner_application.expire")
    ).all()
    assert len(events) == 1
    assert events[0].actor_id is None and events[0].actor_label == "system"
    assert events[0].before["state"] == "admitted" and events[0].after["state"] == "expired"
    notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "partner.expired")).all()
    assert [n.user_id for n in notes] == [user.id]

    provider_ops.expire_if_due(app)
    provider_ops.expire_if_due(db.session.get(PartnerApplication, app.id))
    db.session.commit()
    assert _audit_count("partner_application.expire") == 1
    assert verify_chain().ok


@pytest.mark.parametrize("state", ["applied", "admitted", "rejected", "suspended", "removed"])
def test_expire_if_due_leaves_other_states_alone(db, listing_in, state):
    org, user, app, admin = listing_in(state)
    app.valid_until = today_shanghai() - timedelta(days=5)
    db.session.commit()
    before = _audit_count()
    provider_ops.expire_if_due(app)
    if state == "admitted":
        assert app.state == S.expired
        assert _audit_count() == before + 1
    else:
        assert app.state == S(state)
        assert _audit_count() == before


def test_expire_if_due_accepts_none():
    assert provider_ops.expire_if_due(None) is None


def test_acting_on_an_expired_in_effect_listing_expires_it_first(db, listing_in):
    org, user, app, admin = listing_in("admitted")
    app.valid_until = today_shanghai() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        provider_ops.suspend_provider(admin, org, reason="核查中")
    assert app.state == S.expired  # the expiry is recorded in the same transaction …
    db.session.rollback()  # … and the view rolls back on the refusal


# --- re-application ---------------------------------------------------------------------------

def _reapply(user, org):
    return provider_ops.apply_for_partner_list(
        user, credit_code=org.credit_code, domains=["养老"], qualifications="ISO 9001",
        reference_cases="社区助餐点智能化改造")


@pytest.mark.parametrize("state", ["rejected", "expired", "removed"])
def test_reapplication_allowed_after(db, listing_in, state):
    org, user, app, admin = listing_in(state)
    new = _reapply(user, org)
    db.session.commit()
    assert new.id != app.id and new.state == S.applied
    assert queries.latest_application(org.id) is new
    assert queries.live_application(org.id) is new
    assert [a.id for a in queries.applications_of(org.id)] == [new.id, app.id]
    assert db.session.get(PartnerApplication, app.id).state == S(state)
    assert verify_chain().ok


def test_reapplication_allowed_when_expired_only_in_effect(db, create_provider):
    org, user, app = create_provider("expired")  # admitted with a passed validity date
    assert app.state == S.admitted
    new = _reapply(user, org)
    db.session.commit()
    assert app.state == S.expired
    assert new.state == S.applied
    assert _audit_count("partner_application.expire") == 1


@pytest.mark.parametrize("state", ["applied", "admitted", "suspended"])
def test_reapplication_refused_while_live(db, listing_in, state):
    org, user, app, admin = listing_in(state)
    before = _audit_count()
    with pytest.raises(Conflict) as caught:
        _reapply(user, org)
    assert not isinstance(caught.value, InvalidTransition)
    assert caught.value.status == 409
    assert S(state).label in caught.value.message
    db.session.rollback()
    assert db.session.scalar(
        sa.select(sa.func.count(PartnerApplication.id)).where(PartnerApplication.organisation_id == org.id)
    ) == 1
    assert _audit_count() == before


# --- the database itself refuses two live applications ----------------------------------------

@pytest.mark.parametrize("first, second", [
    ("applied", "applied"), ("admitted", "applied"), ("suspended", "applied"),
    ("applied", "admitted"), ("admitted", "suspended"),
])
def test_partial_unique_index_refuses_two_live_applications(db, listing_in, first, second):
    org, user, app, admin = listing_in(first)
    db.session.add(PartnerApplication(organisation_id=org.id, credit_code=org.credit_code,
                                      state=S(second), submitted_by_id=user.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("first", ["rejected", "expired", "removed"])
def test_partial_unique_index_allows_history(db, listing_in, first):
    org, user, app, admin = listing_in(first)
    for state in (S.rejected, S.removed, S.applied):
        db.session.add(PartnerApplication(organisation_id=org.id, credit_code=org.credit_code,
                                          state=state, submitted_by_id=user.id))
    db.session.commit()
    assert len(queries.applications_of(org.id)) == 4


def test_two_live_applications_of_different_organisations_are_fine(db, listing_in):
    first = listing_in("applied")
    second = listing_in("applied")
    assert first[0].id != second[0].id
    assert queries.live_application(first[0].id).state == S.applied
    assert queries.live_application(second[0].id).state == S.applied
