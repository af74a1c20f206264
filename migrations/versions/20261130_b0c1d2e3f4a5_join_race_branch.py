"""join the horse-race branch

Revision ID: b0c1d2e3f4a5
Revises: a9b8c7d6e5f4, e6f7a8b9c0d1
Create Date: 2026-11-30 07:00:00

"""


# revision identifiers, used by Alembic.
revision = 'b0c1d2e3f4a5'
down_revision = ('a9b8c7d6e5f4', 'e6f7a8b9c0d1')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
