"""join the excluded-entries branch

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8, b3e1d9a4c7f2
Create Date: 2026-11-30 06:20:00

"""


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = ('c3d4e5f6a7b8', 'b3e1d9a4c7f2')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
