from tests.pages.conftest import provider  # noqa: F401  (the fixture is re-exported)
