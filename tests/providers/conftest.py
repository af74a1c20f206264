import pytest

from marketplace.extensions import db as _db
from marketplace.providers import operations as provider_ops
from marketplace.providers.states import PartnerState
from tests import factories
from tests.page_helpers import department_org, provider  # noqa: F401  (fixtures re-exported)


@pytest.fixture
def listing_in(db):
    """`listing_in("suspended")` → (organisation, provider user, application, admin).

    Unlike the factory's "expired" (admitted with a passed date, expired in effect only), this
    "expired" has gone through `expire_if_due`, so the stored state is `expired`.
    """

    def _make(state):
        state = PartnerState(state)
        admin = factories.create_user("admin")
        org, user, app = factories.create_provider(state=state.value, admin=admin)
        if state == PartnerState.expired:
            provider_ops.expire_if_due(app)
            _db.session.commit()
            assert app.state == PartnerState.expired
        return org, user, app, admin

    return _make

