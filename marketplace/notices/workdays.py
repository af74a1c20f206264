"""Working-day arithmetic for the public notice period (公示期): weekends and configured
holidays are skipped; configured make-up working days (调休) count as working days."""

from datetime import date, timedelta


def is_working_day(day: date, holidays=frozenset(), workdays=frozenset()) -> bool:
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays=frozenset(), workdays=frozenset()) -> date:
    """The date on which a period of `days` working days that starts after `start` ends.

    The notice is published on `start`; the next working day is day 1. With days=5 published on
    a Monday, the period ends on the following Monday.
    """
    if days < 0:
        raise ValueError("days must be non-negative")
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current, holidays, workdays):
            counted += 1
    return current


def parse_dates(text: str) -> frozenset:
    """'2026-10-01,2026-10-02' → dates; blanks ignored."""
    out = set()
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            out.add(date.fromisoformat(part))
    return frozenset(out)
