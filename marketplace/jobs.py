"""The record of periodic job runs (see marketplace.tasks.PERIODIC_JOBS)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.db import IdMixin, UTCDateTime, utcnow
from marketplace.extensions import db


class JobRun(IdMixin, db.Model):
    """One run of a periodic job per period. The unique key makes a second scheduler (started by
    mistake) skip a period that already ran instead of repeating it."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "period"),)

    job: Mapped[str] = mapped_column(sa.String(64))
    period: Mapped[int] = mapped_column(sa.BigInteger)  # seconds since the epoch // the job's interval
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(sa.String(500))
