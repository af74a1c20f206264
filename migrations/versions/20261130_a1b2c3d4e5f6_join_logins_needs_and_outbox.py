"""join the logins, needs and outbox branches

Revision ID: a1b2c3d4e5f6
Revises: 3c5e7a9b1d24, 89e402bf65ff, 6bd54288bbaa
Create Date: 2026-11-30 05:40:00

"""


# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f6'
down_revision = ('3c5e7a9b1d24', '89e402bf65ff', '6bd54288bbaa')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
