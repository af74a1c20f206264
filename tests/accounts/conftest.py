"""The page tests of accounts (access, admin pages, security) use the page fixtures."""

from tests.page_helpers import department_org, provider  # noqa: F401  (fixtures re-exported)
