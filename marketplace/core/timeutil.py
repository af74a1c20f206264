"""Times are stored in UTC and shown in Asia/Shanghai."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


# The demo tells a story over months (published in spring, awarded in summer …) through the real
# operations, which all ask this clock; `clock_at` sets it for the current context only. Nothing
# else sets it: a request always sees the real time.
_story_time: ContextVar[datetime | None] = ContextVar("story_time", default=None)


def now_utc() -> datetime:
    return _story_time.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime):
    """Run a block as if it were `moment` (aware). Used by the demo seed."""
    if moment.tzinfo is None:
        raise ValueError("clock_at needs an aware datetime")
    token = _story_time.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _story_time.reset(token)


def today_shanghai() -> date:
    return now_utc().astimezone(SHANGHAI).date()


def to_shanghai(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def isoformat(value) -> str | None:
    """ISO 8601 with +08:00 for datetimes, plain ISO for dates (API output)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_shanghai(value).isoformat(timespec="seconds")
    return value.isoformat()


def format_datetime(value, fmt="%Y-%m-%d %H:%M") -> str:
    value = to_shanghai(value)
    return value.strftime(fmt) if value else ""


def format_until(value) -> str:
    """The end of a period as offices write it: midnight is "24:00" of the day before
    (a notice ending at 2026-12-08 00:00 runs "至 2026-12-07 24:00 止")."""
    value = to_shanghai(value)
    if value is None:
        return ""
    if value.hour == 0 and value.minute == 0 and value.second == 0:
        return (value - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return value.strftime("%Y-%m-%d %H:%M")


def parse_iso_datetime(text: str) -> datetime:
    """Parse ISO 8601; a time without offset is read as Shanghai time. Returns aware UTC."""
    value = datetime.fromisoformat(str(text).strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)
