"""Round `review` status, the signed evaluation report, objection scope and panel note.

Revision ID: 3c8e1f2a9b47
Revises: 175d60b11cad
Create Date: 2026-11-30 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3c8e1f2a9b47"
down_revision = "175d60b11cad"
branch_labels = None
depends_on = None

OLD = ("setup", "open", "closed")
NEW = ("setup", "open", "review", "closed")


def _status_check(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table("evaluation_rounds") as batch:
        batch.drop_constraint(op.f("ck_evaluation_rounds_round_status"), type_="check")
        batch.create_check_constraint(op.f("ck_evaluation_rounds_round_status"), _status_check(NEW))
        batch.add_column(sa.Column("report", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("report_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("report_frozen_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("panel_members") as batch:
        batch.add_column(sa.Column("report_signed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("report_dissent", sa.Text(), nullable=True))
        batch.add_column(sa.Column("report_refused", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("objections") as batch:
        batch.add_column(sa.Column("scope", sa.String(16), nullable=True))
        batch.add_column(sa.Column("rescore_evaluator_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("panel_note", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("objections") as batch:
        batch.drop_column("panel_note")
        batch.drop_column("rescore_evaluator_ids")
        batch.drop_column("scope")
    with op.batch_alter_table("panel_members") as batch:
        batch.drop_column("report_refused")
        batch.drop_column("report_dissent")
        batch.drop_column("report_signed_at")
    op.execute("UPDATE evaluation_rounds SET status = 'open' WHERE status = 'review'")
    with op.batch_alter_table("evaluation_rounds") as batch:
        batch.drop_column("report_frozen_at")
        batch.drop_column("report_sha256")
        batch.drop_column("report")
        batch.drop_constraint(op.f("ck_evaluation_rounds_round_status"), type_="check")
        batch.create_check_constraint(op.f("ck_evaluation_rounds_round_status"), _status_check(OLD))
