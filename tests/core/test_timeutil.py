"""Times are stored in UTC and shown in Asia/Shanghai (UTC+8, no daylight saving)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core import timeutil
from marketplace.core.timeutil import SHANGHAI, format_datetime, isoformat, parse_iso_datetime, to_shanghai


def test_to_shanghai_adds_eight_hours():
    value = to_shanghai(datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    assert (value.year, value.month, value.day, value.hour, value.minute) == (2026, 3, 2, 0, 30)
    assert value.utcoffset() == timedelta(hours=8)


def test_naive_values_are_read_as_utc():
    assert to_shanghai(datetime(2026, 3, 1, 0, 0)).hour == 8
    assert to_shanghai(None) is None


def test_other_zones_are_converted():
    new_york = timezone(timedelta(hours=-5))
    assert to_shanghai(datetime(2026, 1, 1, 12, 0, tzinfo=new_york)).hour == 1


def test_no_daylight_saving_in_summer():
    assert to_shanghai(datetime(2026, 7, 1, tzinfo=UTC)).utcoffset() == timedelta(hours=8)
    # … unlike 1986–1991, which the tz database knows about
    assert to_shanghai(datetime(1991, 7, 1, tzinfo=UTC)).utcoffset() == timedelta(hours=9)


def test_isoformat_carries_plus_eight():
    assert isoformat(datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)) == "2026-01-01T08:00:00+08:00"
    assert isoformat(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)) == "2027-01-01T07:59:59+08:00"
    assert isoformat(date(2026, 5, 4)) == "2026-05-04"
    assert isoformat(None) is None


def test_format_datetime_for_pages():
    assert format_datetime(datetime(2026, 1, 1, 16, 5, tzinfo=UTC)) == "2026-01-02 00:05"
    assert format_datetime(datetime(2026, 1, 1, 16, 5, tzinfo=UTC), "%Y年%m月%d日") == "2026年01月02日"
    assert format_datetime(None) == ""


@pytest.mark.parametrize("text, expected", [
    ("2026-03-01T09:00:00", datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),  # no offset: Shanghai time
    ("2026-03-01 09:00", datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),
    ("2026-03-01T09:00:00+08:00", datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),
    ("2026-03-01T01:00:00Z", datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),
    ("2026-03-01T01:00:00+00:00", datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),
    ("  2026-03-01T00:00:00+08:00 ", datetime(2026, 2, 28, 16, 0, tzinfo=UTC)),
])
def test_parse_iso_datetime(text, expected):
    value = parse_iso_datetime(text)
    assert value == expected
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01T00:00:00", "2026-02-30", "2026-03-01T25:00"])
def test_parse_iso_datetime_refuses_with_value_error(text):
    with pytest.raises(ValueError):
        parse_iso_datetime(text)


def test_today_shanghai_turns_over_at_sixteen_utc(monkeypatch):
    monkeypatch.setattr(timeutil, "now_utc", lambda: datetime(2026, 6, 30, 15, 59, 59, tzinfo=UTC))
    assert timeutil.today_shanghai() == date(2026, 6, 30)
    monkeypatch.setattr(timeutil, "now_utc", lambda: datetime(2026, 6, 30, 16, 0, 0, tzinfo=UTC))
    assert timeutil.today_shanghai() == date(2026, 7, 1)


def test_now_utc_is_aware():
    assert timeutil.now_utc().utcoffset() == timedelta(0)


# China observed summer time from 1986 to 1991 (Asia/Shanghai was +09:00 then); since 1992 it is +08:00.
@given(st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)))
def test_property_api_round_trip(value):
    value = value.replace(microsecond=0)
    text = isoformat(value)
    assert text.endswith("+08:00")
    assert parse_iso_datetime(text) == value
    assert to_shanghai(value).astimezone(SHANGHAI) == value
