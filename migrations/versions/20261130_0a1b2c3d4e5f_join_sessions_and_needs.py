"""join the sessions and needs branches

Revision ID: 0a1b2c3d4e5f
Revises: 3c5e7a9b1d24, 89e402bf65ff
Create Date: 2026-11-30 05:50:00

"""


# revision identifiers, used by Alembic.
revision = '0a1b2c3d4e5f'
down_revision = ('3c5e7a9b1d24', '89e402bf65ff')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
