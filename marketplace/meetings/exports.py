"""The sign-in sheet (签到表, XLSX) and the calendar entry (.ics) of an event."""

import io
from datetime import timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from marketplace.core.db import utcnow
from marketplace.core.exports import safe_cell
from marketplace.core.timeutil import format_datetime
from marketplace.meetings.states import RegistrationState

SHEET_STATES = (RegistrationState.registered, RegistrationState.attended, RegistrationState.pending)


def sign_in_xlsx(event, registrations) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "签到表"
    sheet.append([safe_cell(f"{event.title} 签到表")])
    sheet.append([safe_cell(f"时间：{format_datetime(event.starts_at)}–{format_datetime(event.ends_at, '%H:%M')}"
                        f"（北京时间）  地点：{event.venue}")])
    sheet.append([])
    header = ["序号", "单位", "人数", "报名状态", "签到时间", "备注", "签名"]
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    number = 0
    for registration in registrations:
        if registration.state not in SHEET_STATES:
            continue
        number += 1
        sheet.append([number, safe_cell(registration.organisation.name), registration.attendees,
                      registration.state.label, format_datetime(registration.checked_in_at),
                      safe_cell(registration.note or ""), ""])
    sheet["A1"].font = Font(bold=True, size=14)
    for column, width in zip("ABCDEFG", (6, 36, 8, 10, 18, 30, 20), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def event_ics(event, base_url="") -> bytes:
    """One VEVENT in UTC (the calendar shows it in the reader's zone), cancelled when it is."""
    calendar = Calendar()
    calendar.add("prodid", "-//揭榜挂帅场景平台//活动//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@jiebang.platform")
    entry.add("dtstamp", utcnow())
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("location", event.venue)
    entry.add("description", (event.description or "")[:2000])
    if base_url:
        entry.add("url", f"{base_url.rstrip('/')}/events/{event.id}")
    entry.add("status", "CANCELLED" if event.state.value == "cancelled" else "CONFIRMED")
    entry.add("sequence", 1 if event.state.value == "cancelled" else 0)
    alarm_minutes = timedelta(days=1)
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event.title)
    alarm.add("trigger", -alarm_minutes)
    entry.add_component(alarm)
    calendar.add_component(entry)
    return calendar.to_ical()
