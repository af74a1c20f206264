"""What happens to a notice, its objections and the award, announced for the workflow and the
notification subscribers. Sent with the challenge (or the objection) as sender."""

from blinker import Namespace

_signals = Namespace()

notice_published = _signals.signal("notice.published")  # notice
objection_lodged = _signals.signal("objection.lodged")  # sender: the objection
objection_dismissed = _signals.signal("objection.dismissed")  # sender: the objection
objection_upheld = _signals.signal("objection.upheld")  # sender: the objection; actor
award_confirmed = _signals.signal("award.confirmed")  # actor, notice, winner (Submission)
# 递补: the awarded winner withdrew or was disqualified; actor, notice (the superseded one),
# withdrawn and substitute (Submissions), cause, reason
winner_withdrawn = _signals.signal("award.winner_withdrawn")
