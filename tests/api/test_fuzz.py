"""A small property-based fuzz of the create endpoints: whatever JSON arrives, the answer is a
2xx or a 4xx in the error envelope, never a 500."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.extensions import limiter
from tests.api.conftest import assert_not_500

FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["养老", "医疗", "provider", "department", "admin", "2030-01-01", "91310104MA00000013",
                     "a@example.cn", "\x00", "\ud800", "<script>", "' OR 1=1 --", "x" * 300]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5), inner, max_size=3), max_leaves=6)


def bodies(keys):
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), values, max_size=len(keys) + 1)


def _post(client, url, body):
    limiter.reset()
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_fuzz_organisations(api, admin):
    client = api(admin)

    @FUZZ
    @given(bodies(["name", "kind", "credit_code", "contact_name", "contact_phone"]))
    def run(body):
        assert_not_500(_post(client, "/organisations", body))

    run()


def test_fuzz_users(api, admin, create_org):
    client = api(admin)
    create_org("department")

    @FUZZ
    @given(bodies(["email", "password", "name", "role", "organisation_id"]))
    def run(body):
        assert_not_500(_post(client, "/users", body))

    run()


def test_fuzz_partner_applications(api, provider_user):
    client = api(provider_user)

    @FUZZ
    @given(bodies(["credit_code", "domains", "qualifications", "reference_cases"]))
    def run(body):
        assert_not_500(_post(client, "/partner-applications", body))

    run()


def test_fuzz_catalogue_and_token(api, client, create_provider):
    _, user, _ = create_provider()
    provider = api(user)

    @FUZZ
    @given(bodies(["title", "domain", "summary"]), bodies(["email", "password"]))
    def run(solution, credentials):
        assert_not_500(_post(provider, "/catalogue", solution))
        limiter.reset()
        assert_not_500(client.post("/api/v1/auth/token", data=json.dumps(credentials),
                                   content_type="application/json"))

    run()
