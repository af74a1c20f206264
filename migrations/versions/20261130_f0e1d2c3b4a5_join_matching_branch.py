"""join the matching and events branch

Revision ID: f0e1d2c3b4a5
Revises: d4e5f6a7b8c9, 7d4c2e9f1a36
Create Date: 2026-11-30 06:40:00

"""


# revision identifiers, used by Alembic.
revision = 'f0e1d2c3b4a5'
down_revision = ('d4e5f6a7b8c9', '7d4c2e9f1a36')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
