"""metric checks: an evaluator's plausibility check (数值可信 / 存疑) of a declared metric value

Revision ID: h10x02b3c4d5
Revises: h10x01a2b3c4
Create Date: 2026-11-30 08:20:00

"""
import sqlalchemy as sa
from alembic import op

import marketplace.core.db

# revision identifiers, used by Alembic.
revision = 'h10x02b3c4d5'
down_revision = 'h10x01a2b3c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'metric_checks',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.String(length=10), nullable=False),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('updated_at', marketplace.core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("verdict IN ('plausible', 'doubtful')", name=op.f('ck_metric_checks_metric_check_verdict')),
        sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_metric_checks_criterion_id_criteria'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'],
                                name=op.f('fk_metric_checks_member_id_panel_members'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_metric_checks_submission_id_submissions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', 'submission_id', 'criterion_id', name=op.f('pk_metric_checks')),
    )


def downgrade():
    op.drop_table('metric_checks')
