"""The demo is seeded once for this module (seeding takes seconds) and wiped after it; the tests
read it, and the ones that change something run last in the file."""

from tests.demo_world import _clean, _seeded_once  # noqa: F401  (the seeded demo, once per module)
