"""join the evaluation-templates branch

Revision ID: a9b8c7d6e5f4
Revises: f0e1d2c3b4a5, e5f6a7b8c9d0
Create Date: 2026-11-30 06:50:00

"""


# revision identifiers, used by Alembic.
revision = 'a9b8c7d6e5f4'
down_revision = ('f0e1d2c3b4a5', 'e5f6a7b8c9d0')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
