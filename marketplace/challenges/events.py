"""What happens to a challenge, announced for the workflow and the notification subscribers.

Each signal is sent with the challenge as sender; keyword arguments carry the rest. Receivers run
inside the same transaction, so a receiver that raises undoes the whole act.
"""

from blinker import Namespace

_signals = Namespace()

plan_written = _signals.signal("challenge.plan_written")  # plan=[round values]; review writes the rounds
submitted_for_review = _signals.signal("challenge.submitted_for_review")
approved = _signals.signal("challenge.approved")
returned = _signals.signal("challenge.returned")  # reason
cancelled = _signals.signal("challenge.cancelled")  # reason
deadline_extended = _signals.signal("challenge.deadline_extended")
deadline_soon = _signals.signal("challenge.deadline_soon")
challenge_closed = _signals.signal("challenge.closed")  # the deadline passed; entries unsealed
question_asked = _signals.signal("challenge.question_asked")  # question
question_answered = _signals.signal("challenge.question_answered")  # question
