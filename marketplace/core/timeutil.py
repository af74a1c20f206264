"""Times are stored in UTC and shown in Asia/Shanghai."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    return datetime.now(UTC)


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


def parse_iso_datetime(text: str) -> datetime:
    """Parse ISO 8601; a time without offset is read as Shanghai time. Returns aware UTC."""
    value = datetime.fromisoformat(str(text).strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)
