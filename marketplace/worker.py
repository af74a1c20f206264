"""Celery entry point: `celery -A marketplace.worker worker` and `celery -A marketplace.worker beat`."""

from marketplace import create_app
from marketplace.tasks import deliver_outbox, run_job_task  # noqa: F401 (registers the tasks)

flask_app = create_app()
celery = flask_app.extensions["celery"]
