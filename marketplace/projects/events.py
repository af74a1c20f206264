"""What happens to a project, announced for the notification subscribers (notifications.py).

Operations send these after their change is flushed and audited. Each signal is sent with the
object named below as sender and `actor=` the user who acted (None for the system); keyword
arguments carry the rest. Receivers run inside the same transaction.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the project
project_created = _signals.signal("project.created")  # from_award: made by an award (the award notice tells)
provider_assigned = _signals.signal("project.provider_assigned")  # 招标 result
gate_approved = _signals.signal("project.gate_approved")  # one approval, others to come: role, waiting_for
project_advanced = _signals.signal("project.advanced")  # the gate passed: left (the stage left)
project_terminated = _signals.signal("project.terminated")  # by the admin: reason
payment_recorded = _signals.signal("project.payment_recorded")  # payment
payment_voided = _signals.signal("project.payment_voided")  # payment, reason
# sender: the gate request
gate_requested = _signals.signal("project.gate_requested")
gate_returned = _signals.signal("project.gate_returned")  # reason
# sender: the milestone
milestone_added = _signals.signal("project.milestone_added")
milestone_due_soon = _signals.signal("project.milestone_due_soon")  # days (till the due date)
milestone_overdue = _signals.signal("project.milestone_overdue")
# sender: the progress report
report_submitted = _signals.signal("project.report_submitted")
report_confirmed = _signals.signal("project.report_confirmed")
report_returned = _signals.signal("project.report_returned")  # reason
# sender: the acceptance
acceptance_convened = _signals.signal("project.acceptance_convened")  # panel (users), concluded (bool)
acceptance_concluded = _signals.signal("project.acceptance_concluded")
