"""What happens in evaluation, announced for the workflow and the notification subscribers.

Sent with the round (or the panel member) as sender; receivers run in the same transaction.
"""

from blinker import Namespace

_signals = Namespace()

panel_assigned = _signals.signal("round.panel_assigned")  # added=[users]
round_opened = _signals.signal("round.opened")  # actor
sheet_returned = _signals.signal("round.sheet_returned")  # sender: the member; reason
round_published = _signals.signal("round.published")  # actor, ranked=[(rank, RoundEntry)], advanced, eliminated
round_reopened = _signals.signal("round.reopened")  # reason, evaluators=[users whose sheets reopened]
round_closed = _signals.signal("round.closed")  # actor; results computed, under review (待确认)
evaluators_reminded = _signals.signal("round.evaluators_reminded")  # evaluators, owed ("sheet"|"report"), due_at
