"""join the evaluation, search and projects branches

Revision ID: 175d60b11cad
Revises: 387d9bf17827, 5b1c2d3e4f60, d9017bf768b0
Create Date: 2026-11-22 03:53:27.962092

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '175d60b11cad'
down_revision = ('387d9bf17827', '5b1c2d3e4f60', 'd9017bf768b0')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
