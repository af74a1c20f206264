"""users.session_version: raising it ends every web session of the user

Revision ID: 3c5e7a9b1d24
Revises: 175d60b11cad
Create Date: 2026-11-30 04:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3c5e7a9b1d24'
down_revision = '175d60b11cad'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
