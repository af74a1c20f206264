"""join the audit branch

Revision ID: b7c8d9e0f1a2
Revises: a1b2c3d4e5f6, a1d17c4e9b52
Create Date: 2026-11-30 06:00:00

"""


# revision identifiers, used by Alembic.
revision = 'b7c8d9e0f1a2'
down_revision = ('a1b2c3d4e5f6', 'a1d17c4e9b52')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
