"""How a period's end is written on paper, and the demo's story clock."""

from datetime import UTC, datetime

import pytest

from marketplace.core.db import utcnow
from marketplace.core.timeutil import SHANGHAI, clock_at, format_until, today_shanghai


@pytest.mark.parametrize(("moment", "written"), [
    (datetime(2026, 12, 8, 0, 0, tzinfo=SHANGHAI), "2026-12-07 24:00"),   # midnight: the day before, 24:00
    (datetime(2026, 12, 7, 16, 0, tzinfo=UTC), "2026-12-07 24:00"),       # the same instant given in UTC
    (datetime(2026, 12, 7, 17, 30, tzinfo=SHANGHAI), "2026-12-07 17:30"),
    (datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI), "2026-12-31 24:00"),    # across a year
    (None, ""),
])
def test_format_until(moment, written):
    assert format_until(moment) == written


def test_clock_at_sets_now_and_today_for_the_block_only():
    story = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
    before = utcnow()
    with clock_at(story):
        assert utcnow() == story.astimezone(UTC) and today_shanghai().isoformat() == "2026-03-02"
    assert utcnow() >= before
    with pytest.raises(ValueError), clock_at(datetime(2026, 3, 2, 9, 30)):
        pass
