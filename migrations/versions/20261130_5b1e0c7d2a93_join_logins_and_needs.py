"""join the logins and needs heads

Revision ID: 5b1e0c7d2a93
Revises: 3c5e7a9b1d24, 89e402bf65ff
Create Date: 2026-11-30 05:45:00

"""

# revision identifiers, used by Alembic.
revision = '5b1e0c7d2a93'
down_revision = ('3c5e7a9b1d24', '89e402bf65ff')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
