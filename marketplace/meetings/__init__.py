"""活动: 项目路演 (roadshows), 供需对接会 (matchmaking meetings) and 创新大赛 (innovation contests).

Named `meetings` rather than `events` because every area already has an `events.py` module for
the domain events (blinker signals) it announces; `marketplace.events` would read as that.
An organiser (admin or department) creates and publishes an event with its capacity and
registration deadline; providers register their organisation with a number of attendees, are
waitlisted first-come first-served when the seats are taken, and are promoted when seats free.
"""

from flask import Blueprint

bp = Blueprint("meetings", __name__)

from marketplace.meetings import notifications, views  # noqa: E402,F401  (subscribers connect on import)
