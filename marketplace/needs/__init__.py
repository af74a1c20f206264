"""需求征集: scenario needs from departments and 街道, their triage, the published 场景需求清单
(batches) and the step from an accepted need to a challenge draft."""

from flask import Blueprint

bp = Blueprint("needs", __name__)

from marketplace.needs import notifications, views  # noqa: E402,F401  (subscribers connect on import)
