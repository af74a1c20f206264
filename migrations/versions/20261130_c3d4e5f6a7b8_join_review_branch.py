"""join the evaluation-report branch

Revision ID: c3d4e5f6a7b8
Revises: b7c8d9e0f1a2, 3c8e1f2a9b47
Create Date: 2026-11-30 06:10:00

"""


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = ('b7c8d9e0f1a2', '3c8e1f2a9b47')
branch_labels = None
depends_on = None


def upgrade():
    pass  # a merge point only


def downgrade():
    pass  # a merge point only
