"""递补: substitute notices (superseded / replaced entry, cause, reason) and a main project
continuing a closed pilot

Revision ID: h10x01a2b3c4
Revises: h16w01a2b3c4
Create Date: 2026-11-30 08:10:00

"""
import sqlalchemy as sa
from alembic import op

import marketplace.core.db

# revision identifiers, used by Alembic.
revision = 'h10x01a2b3c4'
down_revision = 'h16w01a2b3c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_at', marketplace.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('replaced_submission_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('substitute_cause', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('substitute_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notices_replaced_submission_id_submissions'), 'submissions',
                                    ['replaced_submission_id'], ['id'])
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pilot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_projects_pilot_id_projects'), 'projects', ['pilot_id'], ['id'])


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_projects_pilot_id_projects'), type_='foreignkey')
        batch_op.drop_column('pilot_id')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notices_replaced_submission_id_submissions'), type_='foreignkey')
        batch_op.drop_column('substitute_reason')
        batch_op.drop_column('substitute_cause')
        batch_op.drop_column('replaced_submission_id')
        batch_op.drop_column('superseded_at')
