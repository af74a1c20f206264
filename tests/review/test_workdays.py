from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.notices.workdays import add_working_days, is_working_day, parse_dates


@pytest.mark.parametrize("start, days, end", [
    (date(2026, 11, 23), 5, date(2026, 11, 30)),   # Monday + 5 working days → next Monday
    (date(2026, 11, 27), 1, date(2026, 11, 30)),   # Friday + 1 → Monday
    (date(2026, 11, 28), 1, date(2026, 11, 30)),   # Saturday + 1 → Monday
    (date(2026, 11, 29), 5, date(2026, 12, 4)),    # Sunday + 5 → Friday
    (date(2026, 11, 25), 0, date(2026, 11, 25)),
    (date(2026, 11, 23), 10, date(2026, 12, 7)),
])
def test_weekends_are_skipped(start, days, end):
    assert add_working_days(start, days) == end


def test_holidays_are_skipped_and_make_up_days_count():
    national_day = parse_dates("2026-10-01,2026-10-02,2026-10-05,2026-10-06,2026-10-07")
    # Published Wednesday 30 September: 1, 2, 5, 6, 7 October are holidays.
    assert add_working_days(date(2026, 9, 30), 3, national_day) == date(2026, 10, 12)
    make_up = parse_dates("2026-10-10")  # a Saturday worked instead (调休)
    assert add_working_days(date(2026, 9, 30), 3, national_day, make_up) == date(2026, 10, 10)
    assert is_working_day(date(2026, 10, 10), national_day, make_up)


def test_parse_dates_ignores_blanks_and_rejects_garbage():
    assert parse_dates(" 2026-01-01 ,, 2026-05-01;") == {date(2026, 1, 1), date(2026, 5, 1)}
    with pytest.raises(ValueError):
        parse_dates("2026-13-01")
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)), st.integers(0, 40))
def test_the_end_is_a_working_day_with_exactly_n_working_days_after_the_start(start, days):
    end = add_working_days(start, days)
    counted = sum(1 for i in range(1, (end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5)
    assert counted == days
    if days:
        assert end.weekday() < 5
