"""entries of providers suspended or removed at the close: state 'excluded' with its reason

Revision ID: b3e1d9a4c7f2
Revises: 175d60b11cad
Create Date: 2026-11-30 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e1d9a4c7f2'
down_revision = '175d60b11cad'
branch_labels = None
depends_on = None

CHECK = 'ck_submissions_submission_state'


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        batch_op.create_check_constraint(op.f(CHECK), "state IN ('submitted', 'withdrawn', 'excluded')")


def downgrade():
    op.execute("UPDATE submissions SET state = 'withdrawn' WHERE state = 'excluded'")
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        batch_op.create_check_constraint(op.f(CHECK), "state IN ('submitted', 'withdrawn')")
        batch_op.drop_column('excluded_reason')
