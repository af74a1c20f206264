"""What the meetings area announces. Sender: the event or the registration; `actor=` who acted
(None for the scheduled reminder)."""

from blinker import Namespace

_signals = Namespace()

event_published = _signals.signal("event-published")
event_cancelled = _signals.signal("event-cancelled")  # registrations=the live ones it had
registration_created = _signals.signal("registration-created")
registration_promoted = _signals.signal("registration-promoted")
registration_decided = _signals.signal("registration-decided")  # approve or reject
registration_cancelled = _signals.signal("registration-cancelled")
event_reminder = _signals.signal("event-reminder")  # sender: the registration
